from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry

from resolvers import account as resolve
from resolvers.context import Info
from resolvers.outcomes import BadCredentials, DeviceCheck, Invalid, SecondFactor, SignedIn, Throttled
from schema.arguments import INPUT
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
    username: str = strawberry.field(
        description="Tên đăng nhập: a citizen's 10-digit mã số BHXH; staff and partners a name such as officer.hanoi."
    )
    role: Role = strawberry.field(description="What the account is; decides what it may see.")
    must_change_password: bool = strawberry.field(
        description="True at first sign-in and 180 days after the last change: only changePassword is allowed until then."
    )
    password_changed_at: datetime = strawberry.field(
        description="When the password was last changed (Vietnam time)."
    )

    @strawberry.field(description="The insured person of a citizen's account; null for staff and partners.")
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
    account: Account = strawberry.field(description="The account signed in.")

    @strawberry.field(description="The citizen's own record; null for other roles.")
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
    id: strawberry.ID = strawberry.field(description="Send it back as captchaId.")
    image_data_url: str = strawberry.field(
        description="The image, as a data: URL (PNG) for an <img> element."
    )
    expires_at: datetime = strawberry.field(description="After this it is refused: ask for a new one.")


@strawberry.input(description="Đăng nhập: the username, the password and this device's id.")
class LoginInput:
    username: str = strawberry.field(description="Citizens: the 10-digit social-insurance code.")
    password: str = strawberry.field(
        description="The account's password (the temporary one sent by SMS at first)."
    )
    captcha_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Required after repeated failures (InvalidCredentials.captchaRequired): the captcha's id.",
    )
    captcha_answer: str | None = strawberry.field(
        default=None, description="The characters of that captcha image."
    )
    device_id: str = strawberry.field(description="A stable id of the app installation or browser.")
    totp_code: str | None = strawberry.field(
        default=None,
        description="Staff (OFFICER, ANALYST, PARTNER, ADMIN): the authenticator's 6-digit code (RFC 6238).",
    )


@strawberry.type(description="Signed in: send the token as `Authorization: Bearer <token>`.")
class LoginSuccess:
    token: str = strawberry.field(
        description="The bearer token of this session; never stored by the server in the clear."
    )
    expires_at: datetime = strawberry.field(description="When the session ends; sign in again after it.")
    account: Account = strawberry.field(description="mustChangePassword may be true.")


@strawberry.type(
    description="This account is signed in on another device: confirm with the one-time code sent to the registered phone."
)
class DeviceConfirmationRequired:
    challenge_id: strawberry.ID = strawberry.field(description="Send it with the SMS code to confirmDevice.")
    phone_hint: str = strawberry.field(description="The number the code was sent to, masked (0983***986).")


@strawberry.type(description="The username or password is wrong (the same answer for both).")
class InvalidCredentials:
    message: str = strawberry.field(description="What to do next.")
    captcha_required: bool = strawberry.field(description="True: the next attempt needs a captcha.")


@strawberry.type(description="Too many failed sign-ins from this username or address: wait.")
class TooManyAttempts:
    message: str = strawberry.field(description="What happened, and how long to wait.")
    retry_after_seconds: int = strawberry.field(description="Seconds before the next attempt is accepted.")


@strawberry.type(
    description="Staff: the password was right; a valid totpCode is needed (enrolled false: enrol first, "
    "with the session of a LoginSuccess that allows only enrollTotp, confirmTotp and logout)."
)
class SecondFactorRequired:
    message: str = strawberry.field(
        description="What to do next, in Vietnamese and English: enter the authenticator's 6-digit code, or "
        "the code given was wrong or used already."
    )
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
    strawberry.union(
        "LoginResult",
        description="What login and confirmDevice answer: a session (LoginSuccess), a new device to confirm "
        "by SMS code, a second factor to give (staff), wrong credentials, TooManyAttempts with the wait, "
        "or every problem of the input (InvalidInput).",
    ),
]


@strawberry.input(description="Xác nhận thiết bị mới: the code sent by SMS for a new device.")
class ConfirmDeviceInput:
    challenge_id: strawberry.ID = strawberry.field(description="DeviceConfirmationRequired.challengeId.")
    code: str = strawberry.field(description="The 6-digit code of the SMS (valid 5 minutes).")


@strawberry.input(description="Đổi mật khẩu: the current password and a new one.")
class ChangePasswordInput:
    current_password: str = strawberry.field(description="The password in force.")
    new_password: str = strawberry.field(
        description="At least 8 characters with upper and lower case letters, a digit and a symbol; not the current one."
    )


@strawberry.type(description="The password was changed; other sessions of the account are ended.")
class ChangePasswordSuccess:
    account: Account = strawberry.field(description="The account, mustChangePassword now false.")


ChangePasswordResult = Annotated[
    ChangePasswordSuccess | InvalidCredentials | InvalidInput,
    strawberry.union(
        "ChangePasswordResult",
        description="The password changed, the current one was wrong, or the new one is not accepted (InvalidInput).",
    ),
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
    async def login(self, info: Info, input: Annotated[LoginInput, INPUT]) -> LoginResult:
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
    async def confirm_device(self, info: Info, input: Annotated[ConfirmDeviceInput, INPUT]) -> LoginResult:
        return _login_result(await resolve.confirm_device(info.context, input.challenge_id, input.code))

    @strawberry.mutation(description="Change the password; signs out every other session.")
    async def change_password(
        self, info: Info, input: Annotated[ChangePasswordInput, INPUT]
    ) -> ChangePasswordResult:
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
    async def confirm_totp(
        self,
        info: Info,
        code: Annotated[
            str,
            strawberry.argument(description="The authenticator app's current 6-digit code (mã xác thực)."),
        ],
    ) -> bool:
        return await resolve.confirm_totp(info.context, code)

    @strawberry.mutation(description="End this session. False when not signed in.")
    async def logout(self, info: Info) -> bool:
        return await resolve.logout(info.context)
