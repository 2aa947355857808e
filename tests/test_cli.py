"""The `ansinh` command as an operator meets it: a wrong ANSINH_DATABASE_URL is one line that
names the variable and says what is expected (no traceback, a non-zero exit), `serve` stops within
10 s whatever happens, its options are described, and `seed` says what it did and did not do."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import IO

import pytest

from cli import SHUTDOWN_SECONDS, _run
from models.migrate import migrate
from settings import Settings
from tests.conftest import POSTGRES_ADMIN_URL, _backend, _create_pg_database, _drop_pg_database

ROOT = Path(__file__).resolve().parent.parent
ANSINH = str(Path(sys.executable).parent / "ansinh")
PG = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]  # postgresql+asyncpg://user@host:port


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment(database_url: str, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSINH_")}
    env.update(ANSINH_DATABASE_URL=database_url, ANSINH_UPLOAD_DIR=str(ROOT / "var" / "test-uploads"), **more)
    return env


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a url", "expected sqlite+aiosqlite:///"),
        ("localhost:5432/ansinh", "expected sqlite+aiosqlite:///"),
        ("sqlite:///./ansinh.db", "sqlite+aiosqlite:///./ansinh.db, not sqlite://"),
        ("postgres://ansinh:s3cret@db.example/ansinh", "postgresql+asyncpg://ansinh:***@db.example/ansinh"),
        ("postgresql://db.example/ansinh", "postgresql+asyncpg://db.example/ansinh, not postgresql://"),
        ("postgresql+psycopg2://db.example/ansinh", "postgresql+asyncpg://db.example/ansinh"),
        ("mysql+aiomysql://db.example/ansinh", "mysql+aiomysql:// is not supported"),
        ("postgresql+asyncpg://db.example", "names no database"),
        (
            "sqlite+aiosqlite:///./no-such-folder/ansinh.db",
            "folder of the SQLite file ./no-such-folder/ansinh.db",
        ),
    ],
)
def test_settings_database_url_malformed_one_line_naming_it(url: str, expected: str) -> None:
    with pytest.raises(SystemExit) as refused:
        Settings.from_env({"ANSINH_DATABASE_URL": url})
    message = str(refused.value.code)
    assert message.startswith("ANSINH_DATABASE_URL") and "\n" not in message, message
    assert expected in message, message
    assert "s3cret" not in message


def _unreachable() -> list[tuple[str, str]]:
    cases = [
        (
            f"postgresql+asyncpg://postgres@127.0.0.1:{_free_port()}/ansinh",
            "was refused: is PostgreSQL running",
        ),
        (
            "postgresql+asyncpg://postgres@no-such-host.invalid/ansinh",
            "the host no-such-host.invalid is not known",
        ),
    ]
    if _backend() == "postgresql":
        cases += [
            (f"{PG}/ansinh_missing_{secrets.token_hex(3)}", "does not exist on"),
            (
                PG.replace("://postgres@", "://nobody_here@", 1) + "/postgres",
                'refused the user: role "nobody_here"',
            ),
        ]
    return cases


@pytest.mark.parametrize(("url", "expected"), _unreachable())
def test_migrate_database_unreachable_one_line_naming_it(url: str, expected: str) -> None:
    settings = Settings.from_env({"ANSINH_DATABASE_URL": url})
    with pytest.raises(SystemExit) as refused:
        _run(settings, migrate(settings))
    message = str(refused.value.code)
    assert message.startswith("ANSINH_DATABASE_URL (") and "\n" not in message, message
    assert expected in message, message


@pytest.mark.parametrize("command", [["serve"], ["seed", "--quiet"], ["migrate"]])
def test_commands_database_refused_one_line_exit_1(command: list[str]) -> None:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{_free_port()}/ansinh"
    out = subprocess.run(
        [ANSINH, *command], env=_environment(url), capture_output=True, text=True, timeout=60, check=False
    )
    assert out.returncode == 1
    lines = [line for line in out.stderr.splitlines() if "alembic" not in line]
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("ANSINH_DATABASE_URL (postgresql+asyncpg://postgres@127.0.0.1:"), out.stderr
    assert "Traceback" not in out.stderr + out.stdout


def test_serve_help_describes_every_option() -> None:
    out = subprocess.run([ANSINH, "serve", "--help"], capture_output=True, text=True, timeout=60, check=True)
    text = " ".join(out.stdout.split())
    assert "--host HOST the address to listen on" in text, text
    assert "--port PORT the TCP port to listen on" in text, text
    assert "--workers WORKERS worker processes" in text, text
    assert "stops it within 10 s" in text


@pytest.fixture
async def serve_database() -> AsyncIterator[str]:
    """A database of its own for `ansinh serve` (its outbox must not deliver the suite's messages)."""
    if _backend() == "postgresql":
        name = f"ansinh_serve_{secrets.token_hex(4)}"
        url = await _create_pg_database(name)
        await migrate(Settings(database_url=url))
        yield url
        await _drop_pg_database(name)
    else:
        folder = ROOT / "var" / f"test-serve-{secrets.token_hex(4)}"
        folder.mkdir(parents=True)
        url = f"sqlite+aiosqlite:///{folder / 'ansinh.db'}"
        await migrate(Settings(database_url=url))
        yield url
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()


def _wait_for_line(stream: IO[str], wanted: str, lines: list[str], seconds: float = 60) -> bool:
    """Reads the server's log until `wanted` appears (True) or the server exits (False)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            return False
        lines.append(line)
        if wanted in line:
            return True
    raise TimeoutError(f"{wanted!r} not logged within {seconds} s: {''.join(lines)}")


@pytest.fixture
def occupied_port() -> Iterator[int]:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield int(taken.getsockname()[1])


def _serve(database_url: str, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [ANSINH, "serve", "--port", str(port)],
        env=_environment(database_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_serve_port_in_use_sigterm_exits_within_10_s(serve_database: str, occupied_port: int) -> None:
    server = _serve(serve_database, occupied_port)
    lines: list[str] = []
    try:
        assert server.stdout is not None
        _wait_for_line(server.stdout, "Started server process", lines)
        server.send_signal(signal.SIGTERM)
        asked = time.monotonic()
        server.wait(timeout=SHUTDOWN_SECONDS + 5)
        stopped = time.monotonic() - asked
        lines.extend(server.stdout.readlines())
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert stopped < SHUTDOWN_SECONDS, "".join(lines)
    assert server.returncode != 0
    log = "".join(lines)
    assert "PendingRollbackError" not in log and "Traceback" not in log, log


def test_serve_port_in_use_exits_by_itself_within_10_s(serve_database: str, occupied_port: int) -> None:
    server = _serve(serve_database, occupied_port)
    started = time.monotonic()
    try:
        output, _ = server.communicate(timeout=SHUTDOWN_SECONDS + 20)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    # Migrating the (current) database and starting take a few seconds, stopping the rest.
    assert time.monotonic() - started < SHUTDOWN_SECONDS + 10, output
    assert server.returncode == 3, output
    assert "address already in use" in output, output
    assert "Traceback" not in output, output


async def test_serve_sigterm_with_a_websocket_open_exits_within_10_s(serve_database: str) -> None:
    import asyncio

    import websockets

    port = _free_port()
    server = _serve(serve_database, port)
    lines: list[str] = []
    try:
        assert server.stdout is not None
        started = await asyncio.to_thread(_wait_for_line, server.stdout, "Uvicorn running on", lines)
        assert started, "".join(lines)
        async with websockets.connect(
            f"ws://127.0.0.1:{port}/graphql", subprotocols=[websockets.Subprotocol("graphql-transport-ws")]
        ) as ws:
            await ws.send('{"type": "connection_init"}')
            assert "connection_ack" in str(await ws.recv())
            # An open WebSocket is what kept uvicorn waiting: it must be closed by the shutdown.
            server.send_signal(signal.SIGTERM)
            asked = time.monotonic()
            await asyncio.to_thread(server.wait, SHUTDOWN_SECONDS + 5)
            stopped = time.monotonic() - asked
        lines.extend(server.stdout.readlines())
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert stopped < SHUTDOWN_SECONDS, "".join(lines)
    assert "Traceback" not in "".join(lines), "".join(lines)


def test_seed_without_demo_says_no_accounts(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'ansinh.db'}"
    out = subprocess.run(
        [ANSINH, "seed", "--persons", "0", "--quiet"],
        env=_environment(url),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "no accounts were created" in out.stderr and "seed --demo" in out.stderr, out.stderr


async def test_seed_progress_shows_every_phase(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from seed.cli import run_seed

    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'ansinh.db'}", captcha="off")
    await migrate(settings)
    capsys.readouterr()
    for _ in range(2):  # the second run finds everyone there: it says so, and what it still does
        await run_seed(settings, demo=True, persons=30, seed=3, progress=True)
    err = capsys.readouterr().err
    started = [line.removesuffix("…") for line in err.splitlines() if line.endswith("…")]
    finished = [line.split(": done in ")[0] for line in err.splitlines() if ": done in " in line]
    assert started == finished and len(started) >= 16, err
    for phase in ("reference data", "golden record", "statistics' rollup", "demo accounts", "commit"):
        assert sum(phase in line for line in started) >= 2, (phase, err)
    assert "30 of them are there already: skipped" in err
    assert "people and records: 100%" in err
