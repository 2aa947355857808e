"""Alembic, driven from code: `ansinh serve` brings an empty database to head by itself."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from models.engine import make_engine
from settings import Settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _upgrade(connection: Connection, url: str) -> None:
    config = alembic_config(url)
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def upgrade_to_head(engine: AsyncEngine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade, url)


def _is_current(connection: Connection, url: str) -> bool:
    script = ScriptDirectory.from_config(alembic_config(url))
    context = MigrationContext.configure(connection)
    return set(context.get_current_heads()) == set(script.get_heads())


async def migrations_current(engine: AsyncEngine) -> bool:
    url = engine.url.render_as_string(hide_password=False)
    async with engine.connect() as connection:
        return await connection.run_sync(_is_current, url)


async def migrate(settings: Settings) -> None:
    """Brings the configured database to the current schema (what `ansinh serve` does first)."""
    engine = make_engine(settings.database_url)
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()
