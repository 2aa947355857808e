"""A production server refuses what only a demo may have (issue 13, finding 9)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from settings import Settings
from tests.conftest import Api, Factory


def test_settings_production_short_secret_key_refused() -> None:
    """ANSINH_SECRET_KEY=x was accepted: every HMAC (captcha, OTP, fingerprints) keyed with it."""
    for short in ("x", "k" * 31, "é" * 15):
        with pytest.raises(SystemExit, match="at least 32 bytes"):
            Settings.from_env({"ANSINH_ENV": "production", "ANSINH_SECRET_KEY": short})
    assert Settings.from_env({"ANSINH_ENV": "production", "ANSINH_SECRET_KEY": "k" * 32}).production


async def test_serve_production_with_demo_passwords_refuses_to_start(api: Api) -> None:
    """The app's start-up (its lifespan) fails, naming the accounts, while demo accounts take the
    demo password; development starts as before."""
    from server import create_app

    settings = api.app.state.runtime.settings
    production = dataclasses.replace(
        settings, env="production", secret_key="p" * 32, captcha="adaptive", cache="off"
    )
    app = create_app(production)
    try:
        with pytest.raises(SystemExit, match="demo password") as refused:
            async with app.router.lifespan_context(app):
                pytest.fail("a production server started with the demo accounts' password")
        assert "officer.hanoi" in str(refused.value) and "admin" in str(refused.value)
    finally:
        await app.state.runtime.engine.dispose()


async def test_production_checks_pass_once_demo_accounts_are_changed(
    api: Api, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from auth import demo, startup

    # The demo staff of the tests are enrolled with the configured ANSINH_DEMO_TOTP_SECRET: as if
    # production had none configured (the default demo secret is checked all the same).
    settings = dataclasses.replace(
        api.app.state.runtime.settings, env="production", secret_key="p" * 32, demo_totp_secret=None
    )
    sessions = api.app.state.runtime.sessionmaker
    # The demo names, as if their passwords had been changed: accounts with passwords of their own.
    own = (await factory.citizen("Own-Pass-2026-a"), await factory.staff("Own-Pass-2026-b"))
    monkeypatch.setattr(demo, "USERNAMES", own)
    await startup.production_checks(settings, sessions)
    # The default demo password counts too, not only the configured one.
    taken = await factory.citizen(demo.DEFAULT_DEMO_PASSWORD)
    monkeypatch.setattr(demo, "USERNAMES", (*own, taken))
    with pytest.raises(SystemExit, match=taken):
        await startup.production_checks(settings, sessions)


async def test_production_checks_demo_authenticator_secret_refused(
    api: Api, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A staff account enrolled with the published demo TOTP secret has no second factor at all."""
    from auth import demo, startup

    settings = dataclasses.replace(
        api.app.state.runtime.settings, env="production", secret_key="p" * 32, demo_totp_secret=None
    )
    enrolled = await factory.staff("Own-Pass-2026-c", totp_secret=demo.DEFAULT_DEMO_TOTP_SECRET)
    monkeypatch.setattr(demo, "USERNAMES", ())
    try:
        with pytest.raises(SystemExit, match=f"{enrolled}[^;]* enrolled with the demo TOTP secret"):
            await startup.production_checks(settings, api.app.state.runtime.sessionmaker)
    finally:
        await _disable(api, enrolled)
    # Development never checks.
    await startup.production_checks(dataclasses.replace(settings, env="development"), _unused())


def _unused() -> Any:
    def refuse() -> None:
        raise AssertionError("development reads nothing at start-up")

    return refuse


async def _disable(api: Api, username: str) -> None:
    from sqlalchemy import update

    from models.tables import account_t

    async with api.app.state.runtime.sessionmaker() as session:
        await session.execute(update(account_t).where(account_t.c.username == username).values(disabled=True))
        await session.commit()
