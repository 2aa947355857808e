"""The `ansinh` command: serve, seed, export-schema, migrate, allow-query."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, TypeVar

import uvicorn
from sqlalchemy.exc import SQLAlchemyError

from infra.persisted import PersistedQueries
from models.engine import connection_problem, make_engine, make_sessionmaker
from models.migrate import migrate
from observability import configure_logging
from schema import export_possible_types, export_schema
from settings import Settings

T = TypeVar("T")

# `ansinh serve` ends within this many seconds of being asked to stop (SIGTERM, SIGINT), or of
# failing to start: requests in flight get GRACE_SECONDS, the application's own shutdown is bounded
# (infra/lifecycle.py), and a watchdog ends the process if anything still holds it after that.
SHUTDOWN_SECONDS = 10.0
GRACE_SECONDS = 4


def _run(settings: Settings, work: Coroutine[Any, Any, T]) -> T:
    """Runs `work`; a database that cannot be reached is one line naming ANSINH_DATABASE_URL."""
    with _database_errors(settings):
        return asyncio.run(work)


@contextmanager
def _database_errors(settings: Settings) -> Iterator[None]:
    try:
        yield
    except (OSError, SQLAlchemyError) as exc:
        problem = connection_problem(exc, settings.database_url)
        if problem is None:
            raise
        raise SystemExit(problem) from None


class _Watchdog:
    """Ends the process SHUTDOWN_SECONDS after it was armed, if it is still running then."""

    armed: threading.Timer | None = None

    @classmethod
    def arm(cls) -> None:
        if cls.armed is None:
            cls.armed = threading.Timer(SHUTDOWN_SECONDS, cls._expire)
            cls.armed.daemon = True
            cls.armed.start()

    @staticmethod
    def _expire() -> None:
        sys.stderr.write(f"ansinh serve: shutdown took longer than {SHUTDOWN_SECONDS:g} s; stopped\n")
        sys.stderr.flush()
        os._exit(1)


class _Server(uvicorn.Server):
    """uvicorn's server, whose shutdown always ends in SHUTDOWN_SECONDS."""

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        _Watchdog.arm()
        super().handle_exit(sig, frame)

    def run(self, sockets: Any = None) -> None:
        try:
            super().run(sockets)
        finally:
            _Watchdog.arm()  # what is left to clean up after the server (the loop's tasks) is bounded too


def _serve(args: argparse.Namespace) -> None:
    # The workers read it (Settings.workers): several processes must not cache without a broker.
    os.environ["ANSINH_WORKERS"] = str(args.workers)
    settings = Settings.from_env()
    _run(settings, migrate(settings))
    options: dict[str, Any] = {
        "factory": True,
        "host": args.host,
        "port": args.port,
        "workers": args.workers,
        "log_level": "info",
        "timeout_graceful_shutdown": GRACE_SECONDS,
        # uvicorn believes X-Forwarded-For from 127.0.0.1 unless told otherwise: only from the
        # proxies named in ANSINH_TRUSTED_PROXIES (auth/addresses.py applies the same rule).
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": ",".join(settings.trusted_proxies) or None,
    }
    if args.workers > 1:
        # uvicorn's supervisor stops the workers; each worker's application shutdown is bounded.
        uvicorn.run("server:create_app", **options)
        return
    server = _Server(uvicorn.Config("server:create_app", **options))
    server.run()
    if not server.started:
        sys.exit(3)  # uvicorn's exit status for a server that could not start (it said why)


def _seed(args: argparse.Namespace) -> None:
    from seed.cli import run_seed

    settings = Settings.from_env()
    if settings.production and args.demo:
        raise SystemExit("seed --demo is refused when ANSINH_ENV=production")
    _run(settings, migrate(settings))
    _run(
        settings,
        run_seed(settings, demo=args.demo, persons=args.persons, seed=args.seed, progress=not args.quiet),
    )
    if not args.demo:
        # Said even with --quiet: whoever expected to sign in next must know they cannot.
        hint = "" if settings.production else "; `ansinh seed --demo` adds the demo accounts"
        sys.stderr.write(f"ansinh seed: no accounts were created (reference data and people only){hint}\n")


def _export_schema(_: argparse.Namespace) -> None:
    sys.stdout.write(export_schema())


def _export_possible_types(_: argparse.Namespace) -> None:
    sys.stdout.write(export_possible_types())


def _allow_query(args: argparse.Namespace) -> None:
    """Puts operations on the partners' allow-list: the file's text is the query, byte for byte."""
    from pathlib import Path

    from sqlalchemy import update

    from infra.persisted import sha256
    from models.tables import persisted_t

    documents = [(name, Path(name).read_text(encoding="utf-8")) for name in args.files]

    settings = Settings.from_env()

    async def run() -> None:
        await migrate(settings)
        engine = make_engine(settings.database_url)
        store = PersistedQueries(make_sessionmaker(engine))
        try:
            for name, query in documents:
                digest = sha256(query)
                await store.put(digest, query, allowed=True)
                async with store.sessions() as session:
                    await session.execute(
                        update(persisted_t).where(persisted_t.c.sha256 == digest).values(allowed=True)
                    )
                    await session.commit()
                sys.stdout.write(f"{digest}  {name}\n")
        finally:
            await engine.dispose()

    _run(settings, run())


def _migrate(_: argparse.Namespace) -> None:
    settings = Settings.from_env()
    _run(settings, migrate(settings))


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def main(argv: list[str] | None = None) -> None:
    configure_logging(json_logs=os.environ.get("ANSINH_LOG_FORMAT", "") == "json")
    parser = argparse.ArgumentParser(prog="ansinh", description="The ansinh GraphQL platform.")
    commands = parser.add_subparsers(dest="command")
    serve = commands.add_parser(
        "serve",
        help="migrate the database, then serve /graphql",
        description="Brings the database of ANSINH_DATABASE_URL to the current schema, then serves "
        "/graphql (HTTP, WebSocket, GraphiQL), /healthz, /readyz and /metrics. SIGTERM or Ctrl-C "
        f"stops it within {SHUTDOWN_SECONDS:g} s.",
    )
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="the address to listen on (default 127.0.0.1, this machine only; 0.0.0.0 for every interface)",
    )
    serve.add_argument("--port", type=int, default=8000, help="the TCP port to listen on (default 8000)")
    serve.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="worker processes sharing the port (default 1); with more than one, caching needs "
        "ANSINH_BROKER_URL (see docs/deployment.md)",
    )
    serve.set_defaults(handler=_serve)
    seed = commands.add_parser(
        "seed",
        help="fill the database with reference data and generated people (--demo: and the demo accounts)",
        description="Adds what is missing: the reference data, the golden record and the generated "
        "people. Creates no account unless --demo is given. Safe to run twice.",
    )
    seed.add_argument(
        "--demo",
        action="store_true",
        help="also the demo accounts of every role (one password, printed; refused in production)",
    )
    seed.add_argument("--persons", type=int, default=200, help="generated people (default 200)")
    seed.add_argument("--seed", type=int, default=1, help="random seed: the same seed, the same data")
    seed.add_argument("--quiet", action="store_true", help="no progress")
    seed.set_defaults(handler=_seed)
    export = commands.add_parser("export-schema", help="print the GraphQL SDL")
    export.set_defaults(handler=_export_schema)
    possible = commands.add_parser(
        "export-possible-types",
        help="print the interfaces and unions with their object types (Apollo Client's possibleTypes)",
    )
    possible.set_defaults(handler=_export_possible_types)
    allow = commands.add_parser("allow-query", help="put persisted queries on the partners' allow-list")
    allow.add_argument("files", nargs="+", help="files holding one GraphQL document each")
    allow.set_defaults(handler=_allow_query)
    migrate_ = commands.add_parser("migrate", help="bring the database to the current schema")
    migrate_.set_defaults(handler=_migrate)
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["serve", *(argv or [])])
    args.handler(args)


if __name__ == "__main__":
    main()
