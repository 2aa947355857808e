"""Which columns of a row a plan reads: what its child lists need to select, and nothing more.

A roster of 10,000 people read with all seventeen of a person's columns for a view that shows
seven costs SQLite twice the time of the seven (each value is a Python object made by the driver,
then again by the typed row). A plan knows every function it calls on a row: the leaves' readers,
the type's relation and owner, its links' keys. Each is read here from its bytecode: the row
argument may only ever be loaded to read one of its attributes (`row.x`). Anything else (the row
passed to another function, stored, captured by an inner function, `getattr` with a name)
makes the reads unknown, `None`, and the plan selects every column, as the ordinary executor does.

So the narrowing is sound by construction: a reader that could touch a column not listed is never
narrowed, and a typed row without a column raises rather than reads a wrong value (the compiled
path then falls back: compiler/hook.py).
"""

from __future__ import annotations

import dis
from collections.abc import Callable, Iterable
from functools import cache
from operator import attrgetter
from typing import Any

Columns = frozenset[str]
NOTHING: Columns = frozenset()

# What reads a row's attribute right after the row is loaded (3.11: methods by LOAD_METHOD).
_ATTRIBUTE_READS = frozenset({"LOAD_ATTR", "LOAD_METHOD"})


def read_by(function: Callable[..., Any], argument: int = 0) -> Columns | None:
    """The attributes `function` reads of its positional `argument`, or None if it may do more."""
    try:
        return _read_by(function, argument)
    except TypeError:  # not hashable: look without remembering
        return _analyse(function, argument)


@cache
def _read_by(function: Callable[..., Any], argument: int) -> Columns | None:
    return _analyse(function, argument)


def _analyse(function: Callable[..., Any], argument: int) -> Columns | None:
    if isinstance(function, attrgetter):
        # attrgetter("a", "b.c") reads a and b of its one argument.
        names: tuple[str, ...] = function.__reduce__()[1]  # type: ignore[assignment]
        return frozenset(str(n).split(".", 1)[0] for n in names) if argument == 0 else NOTHING
    code = getattr(function, "__code__", None)
    if code is None or argument >= code.co_argcount:
        return None
    name = code.co_varnames[argument]
    if name in code.co_cellvars:  # captured by an inner function: used where we cannot see
        return None
    found: set[str] = set()
    instructions = [i for i in dis.get_instructions(code) if i.opname not in ("CACHE", "EXTENDED_ARG")]
    for index, instruction in enumerate(instructions):
        if instruction.argval != name and not _names_it(instruction.argval, name):
            continue
        if instruction.opname in ("LOAD_FAST", "LOAD_FAST_CHECK"):
            following = instructions[index + 1] if index + 1 < len(instructions) else None
            if following is None or following.opname not in _ATTRIBUTE_READS:
                return None
            found.add(str(following.argval))
        elif instruction.opname.startswith(("LOAD_", "STORE_", "DELETE_")) and "FAST" in instruction.opname:
            return None  # a combined load, a reassignment: not a plain attribute read
    return frozenset(found)


def _names_it(argval: Any, name: str) -> bool:
    return isinstance(argval, tuple) and name in argval


def union(parts: Iterable[Columns | None]) -> Columns | None:
    """All the parts' columns, or None if any of them is unknown."""
    out: set[str] = set()
    for part in parts:
        if part is None:
            return None
        out |= part
    return frozenset(out)
