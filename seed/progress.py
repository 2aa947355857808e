"""What `ansinh seed` is doing, phase by phase: a line when a phase starts, its duration when it
ends, and a bar for the phases that count something. Nothing is silent for long: every statement
that takes seconds (an index build, the rollup, the commit) is a phase of its own."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from tqdm import tqdm


class Progress:
    def __init__(self, enabled: bool, out: TextIO | None = None) -> None:
        self.enabled = enabled
        self.out = out if out is not None else sys.stderr

    def say(self, text: str) -> None:
        if self.enabled:
            tqdm.write(text, file=self.out)
            self.out.flush()

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """`name` as it starts, and how long it took as it ends."""
        if not self.enabled:
            yield
            return
        started = time.perf_counter()
        self.say(f"seed: {name}…")
        yield
        self.say(f"seed: {name}: done in {time.perf_counter() - started:.1f} s")

    def bar(self, total: int, desc: str, unit: str) -> tqdm[Any]:
        return tqdm(
            total=total,
            desc=f"seed: {desc}",
            unit=unit,
            unit_scale=True,
            disable=not self.enabled,
            file=self.out,
        )
