"""Configuration from the environment (names as in the runtime contract)."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from auth.addresses import Proxies

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./ansinh.db"
# HMACs of captchas, OTPs and registration fingerprints are as strong as this key: 256 bits.
MIN_SECRET_BYTES = 32
BASE32 = re.compile(r"[A-Z2-7]{16,}=*")
EXPECTED_DATABASE_URL = (
    "sqlite+aiosqlite:///path/to/ansinh.db or postgresql+asyncpg://user:password@host:5432/database"
)


def database_url_problem(url: str) -> str | None:
    """What is wrong with ANSINH_DATABASE_URL, in one line that says what is expected; None if
    nothing is (whether the database can be reached is known only on connecting)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return f"ANSINH_DATABASE_URL is not a database URL: expected {EXPECTED_DATABASE_URL}"
    driver = parsed.drivername
    backend = driver.split("+", 1)[0]
    if driver == "sqlite+aiosqlite":
        folder = Path(parsed.database).parent if parsed.database not in (None, "", ":memory:") else None
        if folder is not None and not folder.is_dir():
            return f"ANSINH_DATABASE_URL: the folder of the SQLite file {parsed.database} does not exist: create it"
        return None
    if driver == "postgresql+asyncpg":
        if not parsed.database:
            return f"ANSINH_DATABASE_URL names no database: expected {EXPECTED_DATABASE_URL}"
        return None
    if backend == "sqlite":
        fixed = parsed.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=True)
        return f"ANSINH_DATABASE_URL must use the asynchronous driver: {fixed}, not {driver}://"
    if backend in ("postgres", "postgresql"):
        fixed = parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=True)
        return f"ANSINH_DATABASE_URL must use the asynchronous driver: {fixed}, not {driver}://"
    return f"ANSINH_DATABASE_URL: {driver}:// is not supported: expected {EXPECTED_DATABASE_URL}"


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    broker_url: str | None = None
    env: str = "development"
    # Development only: derived from the database URL so that every worker on the same database
    # agrees (captcha and OTP HMACs); production refuses to start without ANSINH_SECRET_KEY.
    secret_key: str = ""
    captcha: str = "adaptive"
    message_log: str | None = None
    demo_password: str | None = None
    # Development: the base32 TOTP secret of every demo staff account (ANSINH_DEMO_TOTP_SECRET).
    demo_totp_secret: str | None = None
    # Where the photos of registration forms are stored (by content hash), outside the database.
    upload_dir: str = "./var/uploads"
    # Browser origins allowed to call the API (CORS). Tokens travel in the Authorization header,
    # never in cookies, so credentials are never allowed and "*" cannot leak a session.
    cors_origins: tuple[str, ...] = ()
    # The caches of sessions and read-only answers (infra/cache.py): "auto" uses them where
    # every process hears every write (one process on SQLite, or a broker), "on" or "off".
    cache: str = "auto"
    cache_ttl: float = 10.0
    # Worker processes of `ansinh serve` (set by it for its workers).
    workers: int = 1
    # The bearer token that /metrics asks for; without one, /metrics answers only in development.
    metrics_token: str | None = None
    # The e-card signing keys in use (auth/card_keys.py): all verify, the last one signs.
    card_key_ids: tuple[str, ...] = ("k1",)
    # Reverse proxies whose X-Forwarded-For is believed (addresses or CIDR networks); none by
    # default, so that no client can choose the address its budgets are counted for.
    trusted_proxies: tuple[str, ...] = ()
    # The compiled read path (compiler/): "on", "off", or "verify" (both executors, compared).
    compiler: str = "on"
    # Bounds of the plan cache: how many plans, and their approximate bytes.
    compiler_plans: int = 512
    compiler_plan_bytes: int = 16 * 1024 * 1024

    def __post_init__(self) -> None:
        if not self.secret_key:
            derived = hashlib.sha256(f"ansinh-development:{self.database_url}".encode()).hexdigest()
            object.__setattr__(self, "secret_key", derived)

    @property
    def production(self) -> bool:
        return self.env == "production"

    def cache_enabled(self, broker_shared: bool) -> bool:
        if self.cache != "auto":
            return self.cache == "on"
        # Without a broker, a process only hears its own writes: that is enough for one process
        # on a SQLite file, not for several workers or for PostgreSQL, which other hosts may share.
        return broker_shared or (self.database_url.startswith("sqlite") and self.workers == 1)

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
            if len(secret.encode()) < MIN_SECRET_BYTES:
                raise SystemExit(
                    f"ANSINH_SECRET_KEY must be at least {MIN_SECRET_BYTES} bytes in production "
                    f"(it has {len(secret.encode())}): python -c 'import secrets; print(secrets.token_urlsafe(32))'"
                )
            if captcha == "off":
                raise SystemExit("ANSINH_CAPTCHA=off is refused when ANSINH_ENV=production")
        origins = tuple(
            o.strip().rstrip("/") for o in env.get("ANSINH_CORS_ORIGINS", "").split(",") if o.strip()
        )
        for origin in origins:
            if origin != "*" and not origin.startswith(("https://", "http://")):
                raise SystemExit(
                    f"ANSINH_CORS_ORIGINS: {origin!r} is not an origin such as https://vssid.example.vn"
                )
        if mode == "production" and "*" in origins:
            raise SystemExit("ANSINH_CORS_ORIGINS=* is refused in production: list the origins")
        cache = env.get("ANSINH_CACHE", "auto")
        if cache not in {"auto", "on", "off"}:
            raise SystemExit(f"ANSINH_CACHE must be auto, on or off, not {cache!r}")
        try:
            cache_ttl = float(env.get("ANSINH_CACHE_TTL", "10"))
            workers = int(env.get("ANSINH_WORKERS", "1"))
        except ValueError as exc:
            raise SystemExit(f"ANSINH_CACHE_TTL and ANSINH_WORKERS must be numbers: {exc}") from None
        if not 0 < cache_ttl <= 300 or workers < 1:
            raise SystemExit("ANSINH_CACHE_TTL must be in (0, 300] seconds and ANSINH_WORKERS at least 1")
        compiler = env.get("ANSINH_COMPILER", "on")
        if compiler not in {"on", "off", "verify"}:
            raise SystemExit(f"ANSINH_COMPILER must be on, off or verify, not {compiler!r}")
        try:
            compiler_plans = int(env.get("ANSINH_COMPILER_PLANS", "512"))
            compiler_plan_bytes = int(env.get("ANSINH_COMPILER_PLAN_BYTES", str(16 * 1024 * 1024)))
        except ValueError as exc:
            raise SystemExit(
                f"ANSINH_COMPILER_PLANS and ANSINH_COMPILER_PLAN_BYTES must be numbers: {exc}"
            ) from None
        if compiler_plans < 0 or compiler_plan_bytes < 0:
            raise SystemExit("ANSINH_COMPILER_PLANS and ANSINH_COMPILER_PLAN_BYTES may not be negative")
        proxies = tuple(p.strip() for p in env.get("ANSINH_TRUSTED_PROXIES", "").split(",") if p.strip())
        try:
            Proxies.parse(proxies)
        except ValueError as exc:
            raise SystemExit(
                f"ANSINH_TRUSTED_PROXIES: {exc} (addresses or networks, comma-separated)"
            ) from None
        totp_secret = (env.get("ANSINH_DEMO_TOTP_SECRET") or "").strip().replace(" ", "").upper() or None
        if totp_secret is not None and not BASE32.fullmatch(totp_secret):
            raise SystemExit("ANSINH_DEMO_TOTP_SECRET must be base32 (A-Z, 2-7), at least 16 characters")
        database_url = env.get("ANSINH_DATABASE_URL", DEFAULT_DATABASE_URL)
        problem = database_url_problem(database_url)
        if problem is not None:
            raise SystemExit(problem)
        return cls(
            demo_totp_secret=totp_secret,
            trusted_proxies=proxies,
            cache=cache,
            cache_ttl=cache_ttl,
            workers=workers,
            database_url=database_url,
            broker_url=env.get("ANSINH_BROKER_URL") or None,
            env=mode,
            secret_key=secret or "",
            captcha=captcha,
            message_log=env.get("ANSINH_MESSAGE_LOG") or None,
            demo_password=env.get("ANSINH_DEMO_PASSWORD") or None,
            upload_dir=env.get("ANSINH_UPLOAD_DIR") or "./var/uploads",
            cors_origins=origins,
            metrics_token=env.get("ANSINH_METRICS_TOKEN") or None,
            card_key_ids=_card_key_ids(env.get("ANSINH_CARD_KEY_IDS", "k1")),
            compiler=compiler,
            compiler_plans=compiler_plans,
            compiler_plan_bytes=compiler_plan_bytes,
        )


def _card_key_ids(value: str) -> tuple[str, ...]:
    ids = tuple(part.strip() for part in value.split(",") if part.strip())
    if not ids or any(not kid.replace("-", "").isalnum() or len(kid) > 32 for kid in ids):
        raise SystemExit(
            f"ANSINH_CARD_KEY_IDS must list key ids (letters, digits, dashes), the signing one last, not {value!r}"
        )
    return ids
