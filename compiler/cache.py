"""The plan cache: a least-recently-used map bounded by its number of plans and their bytes.

Plans are keyed by what they depend on: the document's text, the operation's name, the viewer's
role and the values of the variables that @skip and @include read. A document the compiler does
not take is remembered too (as None), so that it is not compiled again for every request.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from compiler.plan import Plan

UNSUPPORTED_BYTES = 200  # what remembering "falls back" costs, roughly


@dataclass(slots=True)
class PlanCache:
    max_plans: int
    max_bytes: int
    _entries: OrderedDict[Hashable, tuple[Plan | None, int]] = field(default_factory=OrderedDict)
    # Per document and operation: the variables @skip and @include read (walking a large document
    # for them on every request would cost what the plan saves).
    _shapes: dict[tuple[str, str | None], tuple[str, ...]] = field(default_factory=dict)
    bytes: int = 0
    hits: int = 0
    misses: int = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    def get(self, key: Hashable) -> tuple[bool, Plan | None]:
        """(found, plan): a plan, or None for a document known to fall back."""
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return False, None
        self._entries.move_to_end(key)
        self.hits += 1
        return True, entry[0]

    def shaping(
        self, query: str, operation_name: str | None, find: Callable[[], tuple[str, ...]]
    ) -> tuple[str, ...]:
        """The variables that shape the plans of this document's operation, found once."""
        key = (query, operation_name)
        found = self._shapes.get(key)
        if found is None:
            if len(self._shapes) >= max(self.max_plans, 1):
                self._shapes.clear()  # bounded like the plans; found again on the next request
            found = self._shapes[key] = find()
        return found

    def put(self, key: Hashable, plan: Plan | None, text_bytes: int) -> None:
        size = (plan.size if plan is not None else UNSUPPORTED_BYTES) + text_bytes
        if size > self.max_bytes or self.max_plans < 1:
            return  # larger than the whole cache: compiled for this request only
        old = self._entries.pop(key, None)
        if old is not None:
            self.bytes -= old[1]
        self._entries[key] = (plan, size)
        self.bytes += size
        while len(self._entries) > self.max_plans or self.bytes > self.max_bytes:
            _, (_, evicted) = self._entries.popitem(last=False)
            self.bytes -= evicted

    def clear(self) -> None:
        self._entries.clear()
        self._shapes.clear()
        self.bytes = 0
