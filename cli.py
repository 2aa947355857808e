"""The `ansinh` command: serve, seed, export-schema, migrate, allow-query."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

import uvicorn

from infra.persisted import PersistedQueries
from models.engine import make_engine, make_sessionmaker
from models.migrate import migrate
from observability import configure_logging
from schema import export_schema
from settings import Settings


def _serve(args: argparse.Namespace) -> None:
    # The workers read it (Settings.workers): several processes must not cache without a broker.
    os.environ["ANSINH_WORKERS"] = str(args.workers)
    settings = Settings.from_env()
    asyncio.run(migrate(settings))
    uvicorn.run(
        "server:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="info",
        # uvicorn believes X-Forwarded-For from 127.0.0.1 unless told otherwise: only from the
        # proxies named in ANSINH_TRUSTED_PROXIES (auth/addresses.py applies the same rule).
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=",".join(settings.trusted_proxies) or None,
    )


def _seed(args: argparse.Namespace) -> None:
    from seed.cli import run_seed

    settings = Settings.from_env()
    if settings.production and args.demo:
        raise SystemExit("seed --demo is refused when ANSINH_ENV=production")
    asyncio.run(migrate(settings))
    asyncio.run(
        run_seed(settings, demo=args.demo, persons=args.persons, seed=args.seed, progress=not args.quiet)
    )


def _export_schema(_: argparse.Namespace) -> None:
    sys.stdout.write(export_schema())


def _allow_query(args: argparse.Namespace) -> None:
    """Puts operations on the partners' allow-list: the file's text is the query, byte for byte."""
    from pathlib import Path

    from sqlalchemy import update

    from infra.persisted import sha256
    from models.tables import persisted_t

    documents = [(name, Path(name).read_text(encoding="utf-8")) for name in args.files]

    async def run() -> None:
        settings = Settings.from_env()
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

    asyncio.run(run())


def _migrate(_: argparse.Namespace) -> None:
    asyncio.run(migrate(Settings.from_env()))


def main(argv: list[str] | None = None) -> None:
    configure_logging(json_logs=os.environ.get("ANSINH_LOG_FORMAT", "") == "json")
    parser = argparse.ArgumentParser(prog="ansinh", description="The ansinh GraphQL platform.")
    commands = parser.add_subparsers(dest="command")
    serve = commands.add_parser("serve", help="migrate the database, then serve /graphql")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(handler=_serve)
    seed = commands.add_parser("seed", help="fill the database with demo accounts and generated people")
    seed.add_argument("--demo", action="store_true", help="the demo accounts and the golden record")
    seed.add_argument("--persons", type=int, default=200, help="generated people (default 200)")
    seed.add_argument("--seed", type=int, default=1, help="random seed: the same seed, the same data")
    seed.add_argument("--quiet", action="store_true", help="no progress bar")
    seed.set_defaults(handler=_seed)
    export = commands.add_parser("export-schema", help="print the GraphQL SDL")
    export.set_defaults(handler=_export_schema)
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
