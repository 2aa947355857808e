"""Quên mật khẩu (forgotten password): an SMS code, then a new password."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers import password as resolve
from resolvers.context import Info
from resolvers.outcomes import Invalid, Throttled
from schema.account import Account, ChangePasswordSuccess, InvalidCredentials, TooManyAttempts
from schema.errors import InvalidInput


@strawberry.input(description="Ask for a one-time code by SMS to set a new password.")
class RequestPasswordResetInput:
    username: str = strawberry.field(description="The social-insurance code (or a staff username).")
    captcha_id: strawberry.ID
    captcha_answer: str


@strawberry.type(description="The same answer whether or not the username exists.")
class PasswordResetRequested:
    challenge_id: strawberry.ID
    phone_hint: str = strawberry.field(description='The registered phone, masked: "0983***986".')


RequestPasswordResetResult = Annotated[
    PasswordResetRequested | InvalidInput | TooManyAttempts, strawberry.union("RequestPasswordResetResult")
]


@strawberry.input(description="The code received by SMS and the new password.")
class ResetPasswordInput:
    challenge_id: strawberry.ID
    code: str
    new_password: str


ResetPasswordResult = Annotated[
    ChangePasswordSuccess | InvalidInput | InvalidCredentials, strawberry.union("ResetPasswordResult")
]


@strawberry.type
class PasswordMutation:
    @strawberry.mutation(description="Quên mật khẩu: a 6-digit code by SMS to the registered phone.")
    async def request_password_reset(
        self, info: Info, input: RequestPasswordResetInput
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
    async def reset_password(self, info: Info, input: ResetPasswordInput) -> ResetPasswordResult:
        outcome = await resolve.reset_password(
            info.context, str(input.challenge_id), input.code, input.new_password
        )
        if isinstance(outcome, Invalid):
            return InvalidInput.of(outcome)
        return ChangePasswordSuccess(account=Account.from_row(outcome))
