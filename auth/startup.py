"""What a production server checks before it serves (issue 13, finding 9): the demo accounts'
shared secrets are published (README, runtime contract), so a server that still has an account
taking one of them is open to anyone. It refuses to start, naming the accounts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from auth import demo
from auth.passwords import verify_password
from models.tables import account_t, totp_t
from settings import Settings


async def production_checks(settings: Settings, sessionmaker: Callable[[], Any]) -> None:
    """Raises SystemExit (with what to do) when ANSINH_ENV=production and a demo account accepts a
    demo password, or a staff account is enrolled with a demo TOTP secret. Nothing in development."""
    if not settings.production:
        return
    passwords = {demo.DEFAULT_DEMO_PASSWORD, *filter(None, [settings.demo_password])}
    secrets = {demo.DEFAULT_DEMO_TOTP_SECRET, *filter(None, [settings.demo_totp_secret])}
    async with sessionmaker() as session:
        accounts = (
            await session.execute(
                select(account_t.c.username, account_t.c.password_hash).where(
                    account_t.c.username.in_(demo.USERNAMES), account_t.c.disabled.is_(False)
                )
            )
        ).all()
        enrolled = (
            (
                await session.execute(
                    select(account_t.c.username)
                    .join(totp_t, totp_t.c.account_id == account_t.c.id)
                    .where(totp_t.c.secret.in_(secrets), account_t.c.disabled.is_(False))
                    .order_by(account_t.c.username)
                )
            )
            .scalars()
            .all()
        )

    def open_accounts() -> list[str]:
        # argon2 at 64 MiB each: off the event loop (start-up, a dozen verifications at most).
        return sorted(
            {a.username for a in accounts for p in passwords if verify_password(a.password_hash, p)}
        )

    taking = await asyncio.to_thread(open_accounts)
    problems = []
    if taking:
        problems.append(
            f"the demo accounts {', '.join(taking)} accept the demo password: change their passwords "
            "or disable them"
        )
    if enrolled:
        problems.append(
            f"the accounts {', '.join(enrolled)} are enrolled with the demo TOTP secret: reset their "
            "authenticators"
        )
    if problems:
        raise SystemExit("Refusing to start with ANSINH_ENV=production: " + "; ".join(problems) + ".")
