"""Quên mật khẩu (forgotten password): an SMS code, then a new password."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers import password as resolve
from resolvers.context import Info
from resolvers.outcomes import Invalid, Throttled
from schema.account import Account, ChangePasswordSuccess, InvalidCredentials, TooManyAttempts
from schema.arguments import INPUT
from schema.errors import InvalidInput


@strawberry.input(description="Ask for a one-time code by SMS to set a new password.")
class RequestPasswordResetInput:
    username: str = strawberry.field(description="The social-insurance code (or a staff username).")
    captcha_id: strawberry.ID = strawberry.field(
        description="A captcha's id (the `requestCaptcha` mutation); required on every request."
    )
    captcha_answer: str = strawberry.field(description="The characters of that captcha image.")


@strawberry.type(description="The same answer whether or not the username exists.")
class PasswordResetRequested:
    challenge_id: strawberry.ID = strawberry.field(
        description="Send it back as ResetPasswordInput.challengeId with the SMS code."
    )
    phone_hint: str = strawberry.field(description='The registered phone, masked: "0983***986".')


RequestPasswordResetResult = Annotated[
    PasswordResetRequested | InvalidInput | TooManyAttempts,
    strawberry.union(
        "RequestPasswordResetResult",
        description="What requestPasswordReset answers: the challenge (the same shape whether or not the "
        "username exists), or every problem of the input (InvalidInput), or TooManyAttempts over the hourly "
        "budget (10 requests per address, 3 SMS per username).",
    ),
]


@strawberry.input(description="The code received by SMS and the new password.")
class ResetPasswordInput:
    challenge_id: strawberry.ID = strawberry.field(description="PasswordResetRequested.challengeId.")
    code: str = strawberry.field(description="The 6-digit code of the SMS (valid 5 minutes, 5 tries).")
    new_password: str = strawberry.field(
        description="At least 8 characters with upper and lower case letters, a digit and a symbol; at most 256."
    )


ResetPasswordResult = Annotated[
    ChangePasswordSuccess | InvalidInput | InvalidCredentials,
    strawberry.union(
        "ResetPasswordResult",
        description="What resetPassword answers: its success (every session of the account ended), or every "
        "problem of the input (InvalidInput: a wrong, expired or used-up code, a weak password); "
        "InvalidCredentials is kept in the union but not answered: a wrong code is InvalidInput.",
    ),
]


@strawberry.type
class PasswordMutation:
    @strawberry.mutation(description="Quên mật khẩu: a 6-digit code by SMS to the registered phone.")
    async def request_password_reset(
        self, info: Info, input: Annotated[RequestPasswordResetInput, INPUT]
    ) -> RequestPasswordResetResult:
        outcome = await resolve.request_password_reset(
            info.context, input.username, str(input.captcha_id), input.captcha_answer
        )
        if isinstance(outcome, Invalid):
            return InvalidInput.of(outcome)
        if isinstance(outcome, Throttled):
            return TooManyAttempts(message=outcome.message, retry_after_seconds=outcome.retry_after_seconds)
        return PasswordResetRequested(
            challenge_id=strawberry.ID(outcome.challenge_id), phone_hint=outcome.phone_hint
        )

    @strawberry.mutation(
        description="Set a new password with the SMS code; ends every session of the account."
    )
    async def reset_password(
        self, info: Info, input: Annotated[ResetPasswordInput, INPUT]
    ) -> ResetPasswordResult:
        outcome = await resolve.reset_password(
            info.context, str(input.challenge_id), input.code, input.new_password
        )
        if isinstance(outcome, Invalid):
            return InvalidInput.of(outcome)
        return ChangePasswordSuccess(account=Account.from_row(outcome))
