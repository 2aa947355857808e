"""Configuration from the environment (names as in the runtime contract)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./ansinh.db"


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    broker_url: str | None = None
    env: str = "development"
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32))
    captcha: str = "adaptive"
    message_log: str | None = None
    demo_password: str | None = None

    @property
    def production(self) -> bool:
        return self.env == "production"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        mode = env.get("ANSINH_ENV", "development")
        if mode not in {"development", "production", "test"}:
            raise SystemExit(f"ANSINH_ENV must be development, production or test, not {mode!r}")
        captcha = env.get("ANSINH_CAPTCHA", "adaptive")
        if captcha not in {"always", "adaptive", "off"}:
            raise SystemExit(f"ANSINH_CAPTCHA must be always, adaptive or off, not {captcha!r}")
        secret = env.get("ANSINH_SECRET_KEY")
        if mode == "production":
            if not secret:
                raise SystemExit("ANSINH_SECRET_KEY is required when ANSINH_ENV=production")
            if captcha == "off":
                raise SystemExit("ANSINH_CAPTCHA=off is refused when ANSINH_ENV=production")
        return cls(
            database_url=env.get("ANSINH_DATABASE_URL", DEFAULT_DATABASE_URL),
            broker_url=env.get("ANSINH_BROKER_URL") or None,
            env=mode,
            secret_key=secret or secrets.token_hex(32),
            captcha=captcha,
            message_log=env.get("ANSINH_MESSAGE_LOG") or None,
            demo_password=env.get("ANSINH_DEMO_PASSWORD") or None,
        )
