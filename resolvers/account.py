"""Sign-in as the portal does it: code as username, captcha, one device, OTP, password rules."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from auth import addresses, captcha, otp, throttle, tokens, totp
from auth.masking import mask_phone
from auth.passwords import hash_password, needs_rehash, password_problems, verify_password
from auth.tokens import PASSWORD_MAX_AGE
from auth.viewer import Role
from infra.outbox import enqueue
from models.tables import account_t, auth_session_t, person_t
from models.types import utcnow
from resolvers.context import Context, require_viewer
from resolvers.errors import Forbidden, RateLimited
from resolvers.outcomes import (
    BadCredentials,
    DeviceCheck,
    Invalid,
    Problem,
    Problems,
    SecondFactor,
    SignedIn,
    Throttled,
)

WRONG_CREDENTIALS = "Tên đăng nhập hoặc mật khẩu không đúng. (Wrong username or password.)"
ENTER_CAPTCHA = "Nhập mã kiểm tra trong hình. (Enter the characters shown in the captcha image.)"
ENTER_TOTP = (
    "Nhập mã xác thực 6 số từ ứng dụng xác thực. (Staff accounts sign in with the 6-digit code of "
    "their authenticator app as totpCode.)"
)
WRONG_TOTP = (
    "Mã xác thực không đúng hoặc đã dùng. (The totpCode is wrong or was used already: enter the "
    "authenticator's current code.)"
)
ACCOUNT_COLUMNS = [c for c in account_t.c if c.name != "password_hash"]


def viewer_account(context: Context) -> Any | None:
    """The signed-in account, read together with the session: no statement of its own."""
    return context.account if context.viewer is not None else None


def must_change_password(account: Any) -> bool:
    """Set at approval, and again once the password is older than 180 days."""
    return bool(account.must_change_password) or account.password_changed_at + PASSWORD_MAX_AGE <= utcnow()


def client_address(context: Context) -> str:
    """What the per-address budgets count: the peer, or the client a trusted proxy names."""
    return addresses.client_address(
        context.request.scope, addresses.proxies_of(context.runtime.settings.trusted_proxies)
    )


def _check_lengths(problems: Problems, path: tuple[str, ...], value: str, label: str, limit: int) -> None:
    if not value.strip():
        problems.add(path, "REQUIRED", f"{label} is required.")
    elif len(value) > limit:
        problems.add(path, "TOO_LONG", f"{label} has at most {limit} characters.")


async def _captchaProblem(
    context: Context, problems: Problems, captcha_id: str | None, answer: str | None
) -> None:
    verdict = await captcha.verify(
        context.session, context.runtime.settings.secret_key, captcha_id or "", answer or ""
    )
    if verdict is captcha.Verdict.WRONG:
        problems.add(
            ("input", "captchaAnswer"), verdict.value, "The captcha answer is wrong; a new captcha is needed."
        )
    elif verdict is captcha.Verdict.EXPIRED:
        problems.add(
            ("input", "captchaId"), verdict.value, "This captcha has expired or was used; request a new one."
        )


async def check_captcha(
    context: Context, problems: Problems, captcha_id: str | None, answer: str | None
) -> None:
    """For the open features: a captcha is always required unless ANSINH_CAPTCHA=off."""
    if context.runtime.settings.captcha == "off":
        return
    if not captcha_id or not answer:
        problems.add(("input", "captchaAnswer"), "CAPTCHA_REQUIRED", ENTER_CAPTCHA)
        return
    await _captchaProblem(context, problems, captcha_id, answer)


async def login(
    context: Context,
    username: str,
    password: str,
    captcha_id: str | None,
    answer: str | None,
    device_id: str,
    totp_code: str | None = None,
) -> SignedIn | DeviceCheck | BadCredentials | Throttled | Invalid | SecondFactor:
    session, settings = context.session, context.runtime.settings
    problems = Problems()
    _check_lengths(problems, ("input", "username"), username, "The username", 64)
    _check_lengths(problems, ("input", "password"), password, "The password", 256)
    _check_lengths(problems, ("input", "deviceId"), device_id, "The device id", 128)
    if problems:
        return Invalid(problems.items)
    username = username.strip()
    client = client_address(context)
    now = utcnow()
    account = (await session.execute(select(account_t).where(account_t.c.username == username))).first()
    pressure = await throttle.pressure(session, username, client, now)
    if pressure.client_retry_after:
        return Throttled(
            "Too many failed sign-ins from this address; try again later.", pressure.client_retry_after
        )
    if pressure.username_retry_after:
        return Throttled(
            "Too many failed sign-ins for this account; try again later.", pressure.username_retry_after
        )
    captcha_needed = settings.captcha == "always" or (
        settings.captcha == "adaptive" and pressure.wants_captcha
    )
    if captcha_needed and not (captcha_id and answer):
        return BadCredentials(ENTER_CAPTCHA, captcha_required=True)
    if captcha_id and answer and settings.captcha != "off":
        await _captchaProblem(context, problems, captcha_id, answer)
        if problems:
            await session.commit()  # the captcha is spent
            return Invalid(problems.items)
    ok = verify_password(account.password_hash if account is not None else None, password)
    if not ok or account is None or account.disabled:
        await throttle.record(session, username, client, device_id, now, ok=False)
        await session.commit()
        failures = pressure.username_failures + 1
        return BadCredentials(
            WRONG_CREDENTIALS,
            captcha_required=settings.captcha == "always"
            or (
                settings.captcha == "adaptive"
                and max(failures, pressure.client_failures + 1) >= throttle.CAPTCHA_AFTER
            ),
        )
    pending = False
    if totp.needs_second_factor(account.role):
        credential = await totp.credential(session, account.id)
        if credential is None or credential.confirmed_at is None:
            # First sign-in of staff: a session that can only enrol the authenticator.
            pending = True
        elif not totp_code or not totp_code.strip():
            await session.commit()  # a captcha answered is spent all the same
            return SecondFactor(ENTER_TOTP, enrolled=True)
        elif not await totp.accept(session, credential, totp_code):
            # Counted as a failure: the code's million values are guessed within the username lock.
            await throttle.record(session, username, client, device_id, now, ok=False)
            await session.commit()
            return SecondFactor(WRONG_TOTP, enrolled=True)
    await throttle.record(session, username, client, device_id, now, ok=True)
    if needs_rehash(account.password_hash):
        await session.execute(
            update(account_t)
            .where(account_t.c.id == account.id)
            .values(password_hash=hash_password(password))
        )
    if account.role == Role.CITIZEN.value and await _signed_in_elsewhere(context, account.id, device_id, now):
        phone = (
            await session.execute(select(person_t.c.phone).where(person_t.c.id == account.person_id))
        ).scalar()
        if phone:
            wait = await throttle.spend_all(
                session,
                [(throttle.SMS_PER_ACCOUNT, f"account:{account.id}"), (throttle.SMS_PER_ADDRESS, client)],
                now,
            )
            if wait:
                await session.commit()
                return Throttled(
                    "Too many sign-in codes were sent by SMS for this account or from this address; "
                    f"try again later (at most {throttle.SMS_PER_ACCOUNT.limit} an hour per account, "
                    f"{throttle.SMS_PER_ADDRESS.limit} per address).",
                    wait,
                )
        challenge_id, code = await otp.create(session, settings.secret_key, account.id, device_id, now)
        if phone:
            await enqueue(session, "sms", phone, "device_otp", otp=code)
        await session.commit()
        context.runtime.outbox_wake()
        return DeviceCheck(challenge_id, mask_phone(phone) if phone else "")
    if account.role == Role.CITIZEN.value:
        # One device at a time: a sign-in on the same device replaces its older session too.
        await _revoke(context, account.id, now, keep=None)
    token, expires = await tokens.issue(session, account.id, device_id, second_factor_pending=pending)
    await session.commit()
    return SignedIn(token, expires, await _account(context, account.id))


async def _signed_in_elsewhere(context: Context, account_id: int, device_id: str, now: Any) -> bool:
    found = await context.session.execute(
        select(auth_session_t.c.id)
        .where(
            auth_session_t.c.account_id == account_id,
            auth_session_t.c.revoked_at.is_(None),
            auth_session_t.c.expires_at > now,
            auth_session_t.c.device_id != device_id,
        )
        .limit(1)
    )
    return found.first() is not None


async def _revoke(context: Context, account_id: int, now: Any, keep: int | None) -> None:
    statement = update(auth_session_t).where(
        auth_session_t.c.account_id == account_id, auth_session_t.c.revoked_at.is_(None)
    )
    if keep is not None:
        statement = statement.where(auth_session_t.c.id != keep)
    await context.session.execute(statement.values(revoked_at=now))


async def _account(context: Context, account_id: int) -> Any:
    return (await context.session.execute(select(*ACCOUNT_COLUMNS).where(account_t.c.id == account_id))).one()


async def confirm_device(context: Context, challenge_id: str, code: str) -> SignedIn | Invalid:
    session, settings = context.session, context.runtime.settings
    now = utcnow()
    if not code.strip().isdigit() or len(code.strip()) != 6:
        return Invalid([Problem(("input", "code"), "OTP_FORMAT", "The code has 6 digits.")])
    verdict, row, left = await otp.check(session, settings.secret_key, challenge_id, code, now)
    if verdict is otp.OtpVerdict.EXPIRED:
        await session.commit()
        return Invalid(
            [
                Problem(
                    ("input", "challengeId"),
                    verdict.value,
                    "This code has expired or was used up; sign in again.",
                )
            ]
        )
    if verdict is otp.OtpVerdict.WRONG:
        await session.commit()
        return Invalid([Problem(("input", "code"), verdict.value, f"The code is wrong; {left} tries left.")])
    # The new device wins: every other session of the account ends, its subscriptions with it.
    await _revoke(context, row.account_id, now, keep=None)
    token, expires = await tokens.issue(session, row.account_id, row.device_id)
    await session.commit()
    return SignedIn(token, expires, await _account(context, row.account_id))


async def change_password(context: Context, current: str, new: str) -> Any:
    viewer = require_viewer(context)
    session = context.session
    stored = (
        await session.execute(select(account_t.c.password_hash).where(account_t.c.id == viewer.account_id))
    ).scalar_one()
    # The same per-username lock as sign-in: a stolen session must not guess the password here.
    now, client = utcnow(), client_address(context)
    pressure = await throttle.pressure(session, viewer.username, client, now)
    wait = max(pressure.username_retry_after, pressure.client_retry_after)
    if wait:
        return BadCredentials(
            f"Too many wrong passwords for this account; try again in {wait} seconds.", captcha_required=False
        )
    if not verify_password(stored, current):
        await throttle.record(session, viewer.username, client, "changePassword", now, ok=False)
        await session.commit()
        return BadCredentials("The current password is wrong.", captcha_required=False)
    problems = Problems()
    for code, message in password_problems(new, viewer.username):
        problems.add(("input", "newPassword"), code, message)
    if not problems and verify_password(stored, new):
        problems.add(
            ("input", "newPassword"), "SAME_AS_CURRENT", "Choose a password different from the current one."
        )
    if problems:
        return Invalid(problems.items)
    await session.execute(
        update(account_t)
        .where(account_t.c.id == viewer.account_id)
        .values(password_hash=hash_password(new), must_change_password=False, password_changed_at=now)
    )
    await _revoke(context, viewer.account_id, now, keep=viewer.session_id)
    await session.commit()
    return await _account(context, viewer.account_id)


async def logout(context: Context) -> bool:
    viewer = context.viewer
    if viewer is None or viewer.session_id is None:
        return False
    await context.session.execute(
        update(auth_session_t).where(auth_session_t.c.id == viewer.session_id).values(revoked_at=utcnow())
    )
    await context.session.commit()
    return True


async def request_captcha(context: Context) -> captcha.IssuedCaptcha:
    """A row and a rendered image each: one per request, and a budget per address."""
    context.captchas_requested += 1
    if context.captchas_requested > 1:
        raise RateLimited(0, "One requestCaptcha per request.")
    wait = await throttle.spend_all(
        context.session, [(throttle.CAPTCHAS_PER_ADDRESS, client_address(context))], utcnow()
    )
    if wait:
        await context.session.commit()
        raise RateLimited(
            wait,
            f"At most {throttle.CAPTCHAS_PER_ADDRESS.limit} captchas per 10 minutes from one address; "
            f"try again in {wait} seconds.",
        )
    issued = await captcha.issue(
        context.session, context.runtime.settings.secret_key, context.runtime.captcha_text
    )
    await context.session.commit()
    return issued


def _staff(context: Context) -> Any:
    viewer = require_viewer(context)
    if not totp.needs_second_factor(viewer.role.value):
        raise Forbidden("Only staff accounts (officers, analysts, partners, admins) use an authenticator.")
    return viewer


async def enroll_totp(context: Context) -> totp.Enrolment:
    """Staff without a second factor: a new secret, shown once (confirmTotp proves it)."""
    viewer = _staff(context)
    session = context.session
    credential = await totp.credential(session, viewer.account_id)
    if credential is not None and credential.confirmed_at is not None:
        # Else a stolen session could replace the authenticator with the thief's.
        raise Forbidden("This account has an authenticator already; an administrator can reset it.")
    enrolment = await totp.begin_enrolment(session, viewer.account_id, viewer.username, utcnow())
    await session.commit()
    return enrolment


async def confirm_totp(context: Context, code: str) -> bool:
    """True when `code` is the authenticator's: enrolled, and the enrolment sessions end."""
    viewer = _staff(context)
    session = context.session
    credential = await totp.credential(session, viewer.account_id)
    if credential is None:
        raise Forbidden("Call enrollTotp first.")
    if credential.confirmed_at is not None:
        raise Forbidden("This account has an authenticator already.")
    now, client = utcnow(), client_address(context)
    pressure = await throttle.pressure(session, viewer.username, client, now)
    wait = max(pressure.username_retry_after, pressure.client_retry_after)
    if wait:
        raise RateLimited(wait, f"Too many wrong codes; try again in {wait} seconds.")
    if not await totp.confirm(session, credential, code, now):
        await throttle.record(session, viewer.username, client, "confirmTotp", now, ok=False)
        await session.commit()
        return False
    await session.execute(
        update(auth_session_t)
        .where(
            auth_session_t.c.account_id == viewer.account_id,
            auth_session_t.c.second_factor_pending.is_(True),
            auth_session_t.c.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    await session.commit()
    return True
