from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry

from resolvers import account as resolve
from resolvers.context import Info
from resolvers.outcomes import BadCredentials, DeviceCheck, Invalid, SecondFactor, SignedIn, Throttled
from schema.enums import Role
from schema.errors import InvalidInput
from schema.person import Person


async def _person(info: Info, person_id: int | None) -> Person | None:
    if person_id is None:
        return None
    row = await info.context.loaders.persons_by_id.load(person_id)
    return Person.wrap(info.context, row) if row is not None else None


@strawberry.type(description="A sign-in identity. Secrets (hashes, tokens) are never fields.")
class Account:
    _row: strawberry.Private[Any]
    username: str
    role: Role
    must_change_password: bool
    password_changed_at: datetime

    @strawberry.field
    async def person(self, info: Info) -> Person | None:
        return await _person(info, self._row.person_id)

    @classmethod
    def from_row(cls, row: Any) -> Account:
        return cls(
            _row=row,
            username=row.username,
            role=Role(row.role),
            must_change_password=resolve.must_change_password(row),
            password_changed_at=row.password_changed_at,
        )


@strawberry.type(description="The signed-in user.")
class Viewer:
    account: Account

    @strawberry.field
    async def person(self, info: Info) -> Person | None:
        return await _person(info, self.account._row.person_id)


@strawberry.type
class AccountQuery:
    @strawberry.field(description="Null when not signed in.")
    async def viewer(self, info: Info) -> Viewer | None:
        row = resolve.viewer_account(info.context)
        return Viewer(account=Account.from_row(row)) if row is not None else None


@strawberry.type(description="An image a person reads; answer with its id and the characters shown.")
class Captcha:
    id: strawberry.ID
    image_data_url: str
    expires_at: datetime


@strawberry.input
class LoginInput:
    username: str = strawberry.field(description="Citizens: the 10-digit social-insurance code.")
    password: str
    captcha_id: strawberry.ID | None = None
    captcha_answer: str | None = None
    device_id: str = strawberry.field(description="A stable id of the app installation or browser.")
    totp_code: str | None = strawberry.field(
        default=None,
        description="Staff (OFFICER, ANALYST, PARTNER, ADMIN): the authenticator's 6-digit code (RFC 6238).",
    )


@strawberry.type
class LoginSuccess:
    token: str
    expires_at: datetime
    account: Account = strawberry.field(description="mustChangePassword may be true.")


@strawberry.type(
    description="This account is signed in on another device: confirm with the one-time code sent to the registered phone."
)
class DeviceConfirmationRequired:
    challenge_id: strawberry.ID
    phone_hint: str


@strawberry.type
class InvalidCredentials:
    message: str
    captcha_required: bool


@strawberry.type
class TooManyAttempts:
    message: str
    retry_after_seconds: int


@strawberry.type(
    description="Staff: the password was right; a valid totpCode is needed (enrolled false: enrol first, "
    "with the session of a LoginSuccess that allows only enrollTotp, confirmTotp and logout)."
)
class SecondFactorRequired:
    message: str
    enrolled: bool = strawberry.field(description="Whether the account has an authenticator.")


@strawberry.type(
    description="A new authenticator secret, shown once: put it into an authenticator app (the "
    "otpauth URI as a QR code), then prove it with confirmTotp."
)
class TotpEnrollment:
    secret: str = strawberry.field(description="Base32, as authenticator apps take it typed in.")
    otpauth_uri: str = strawberry.field(description="otpauth://totp/… (the Key URI format), for a QR code.")


LoginResult = Annotated[
    LoginSuccess
    | DeviceConfirmationRequired
    | InvalidCredentials
    | TooManyAttempts
    | InvalidInput
    | SecondFactorRequired,
    strawberry.union("LoginResult"),
]


@strawberry.input
class ConfirmDeviceInput:
    challenge_id: strawberry.ID
    code: str


@strawberry.input
class ChangePasswordInput:
    current_password: str
    new_password: str


@strawberry.type
class ChangePasswordSuccess:
    account: Account


ChangePasswordResult = Annotated[
    ChangePasswordSuccess | InvalidCredentials | InvalidInput, strawberry.union("ChangePasswordResult")
]


def _login_result(
    outcome: SignedIn | DeviceCheck | BadCredentials | Throttled | Invalid | SecondFactor,
) -> (
    LoginSuccess
    | DeviceConfirmationRequired
    | InvalidCredentials
    | TooManyAttempts
    | InvalidInput
    | SecondFactorRequired
):
    match outcome:
        case SecondFactor():
            return SecondFactorRequired(message=outcome.message, enrolled=outcome.enrolled)
        case SignedIn():
            return LoginSuccess(
                token=outcome.token, expires_at=outcome.expires_at, account=Account.from_row(outcome.account)
            )
        case DeviceCheck():
            return DeviceConfirmationRequired(
                challenge_id=strawberry.ID(outcome.challenge_id), phone_hint=outcome.phone_hint
            )
        case BadCredentials():
            return InvalidCredentials(message=outcome.message, captcha_required=outcome.captcha_required)
        case Throttled():
            return TooManyAttempts(message=outcome.message, retry_after_seconds=outcome.retry_after_seconds)
    return InvalidInput.of(outcome)


@strawberry.type
class AccountMutation:
    @strawberry.mutation(description="A new captcha (mã kiểm tra): single use, valid 5 minutes.")
    async def request_captcha(self, info: Info) -> Captcha:
        issued = await resolve.request_captcha(info.context)
        return Captcha(
            id=strawberry.ID(issued.id), image_data_url=issued.image_data_url, expires_at=issued.expires_at
        )

    @strawberry.mutation(description="Sign in. Citizens use their social-insurance code as username.")
    async def login(self, info: Info, input: LoginInput) -> LoginResult:
        outcome = await resolve.login(
            info.context,
            input.username,
            input.password,
            input.captcha_id,
            input.captcha_answer,
            input.device_id,
            input.totp_code,
        )
        return _login_result(outcome)

    @strawberry.mutation(
        description="Confirm a new device with the code sent by SMS; signs the old device out."
    )
    async def confirm_device(self, info: Info, input: ConfirmDeviceInput) -> LoginResult:
        return _login_result(await resolve.confirm_device(info.context, input.challenge_id, input.code))

    @strawberry.mutation(description="Change the password; signs out every other session.")
    async def change_password(self, info: Info, input: ChangePasswordInput) -> ChangePasswordResult:
        outcome = await resolve.change_password(info.context, input.current_password, input.new_password)
        if isinstance(outcome, BadCredentials):
            return InvalidCredentials(message=outcome.message, captcha_required=False)
        if isinstance(outcome, Invalid):
            return InvalidInput.of(outcome)
        return ChangePasswordSuccess(account=Account.from_row(outcome))

    @strawberry.mutation(
        description="Staff without a second factor, once: a new authenticator secret (RFC 6238)."
    )
    async def enroll_totp(self, info: Info) -> TotpEnrollment:
        enrolment = await resolve.enroll_totp(info.context)
        return TotpEnrollment(secret=enrolment.secret, otpauth_uri=enrolment.otpauth_uri)

    @strawberry.mutation(
        description="Proves the authenticator with its current code; then sign in again with totpCode."
    )
    async def confirm_totp(self, info: Info, code: str) -> bool:
        return await resolve.confirm_totp(info.context, code)

    @strawberry.mutation(description="End this session. False when not signed in.")
    async def logout(self, info: Info) -> bool:
        return await resolve.logout(info.context)
