"""The GraphQL over HTTP audit is the repository's own: a clone in a folder with nothing beside it
runs it (graphql-http installed by `npm ci` from tests/http-audit's lock file) and it passes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import _backend

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(_backend() != "sqlite", reason="the audit starts its own SQLite server")


def test_http_audit_passes_from_a_clone_without_siblings(tmp_path: Path) -> None:
    git, bash = shutil.which("git"), shutil.which("bash")
    if shutil.which("node") is None or shutil.which("npm") is None or git is None or bash is None:
        pytest.skip("the audit needs node, npm, git and bash")
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: nothing to clone")
    clone = tmp_path / "ansinh"
    subprocess.run([git, "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=120)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ansinh"]  # no sibling folder to lean on
    # This interpreter's virtualenv stands in for the one scripts/test would make in the clone.
    (clone / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSINH_")}
    out = subprocess.run(
        [bash, "scripts/http-audit"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "error 0" in out.stdout and "warn 0" in out.stdout, out.stdout
