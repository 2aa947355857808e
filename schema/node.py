"""Global ids ("Person:42", opaque) and the Node interface."""

from __future__ import annotations

import base64
import binascii

import strawberry

from resolvers.errors import BadUserInput


@strawberry.interface(description="An object with a global id, fetchable with `node(id:)`.")
class Node:
    id: strawberry.ID = strawberry.field(
        description="The global id: opaque, stable, accepted by `node(id:)`."
    )


def global_id(type_name: str, pk: int) -> strawberry.ID:
    raw = f"{type_name}:{pk}".encode()
    return strawberry.ID(base64.urlsafe_b64encode(raw).decode().rstrip("="))


def parse_global_id(value: str, expected: str | None = None, argument: str = "id") -> tuple[str, int]:
    try:
        raw = base64.urlsafe_b64decode((value + "=" * (-len(value) % 4)).encode("ascii")).decode()
        type_name, _, pk = raw.partition(":")
        if not type_name.isalpha() or not pk.isdigit() or len(pk) > 18:
            raise ValueError(raw)
    except (ValueError, UnicodeError, binascii.Error) as exc:
        raise BadUserInput(f"{argument}: {value!r} is not an id of this API.", argument) from exc
    if expected is not None and type_name != expected:
        raise BadUserInput(
            f"{argument}: expected the id of a {expected}, got one of a {type_name}.", argument
        )
    return type_name, int(pk)
