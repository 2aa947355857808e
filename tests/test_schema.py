"""schema.graphql is the committed contract of the code: it must not drift."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from schema import export_possible_types, export_schema

ROOT = Path(__file__).resolve().parent.parent


def test_export_schema_matches_committed_file() -> None:
    committed = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert export_schema() == committed, (
        "schema.graphql is stale: run `ansinh export-schema > schema.graphql`"
    )


def test_export_possible_types_matches_committed_file() -> None:
    committed = (ROOT / "possibleTypes.json").read_text(encoding="utf-8")
    assert export_possible_types() == committed, (
        "possibleTypes.json is stale: run `ansinh export-possible-types > possibleTypes.json`"
    )


def test_export_possible_types_names_node_and_every_result_union() -> None:
    import json

    from graphql import GraphQLInterfaceType, GraphQLUnionType

    possible = json.loads(export_possible_types())
    abstract = {
        name
        for name, kind in schema_types().items()
        if isinstance(kind, GraphQLInterfaceType | GraphQLUnionType) and not name.startswith("__")
    }
    assert set(possible) == abstract and "Node" in possible
    assert "Person" in possible["Node"] and "InvalidInput" in possible["LoginResult"]
    assert all(types for types in possible.values())


def schema_types() -> dict[str, object]:
    from schema import schema

    return dict(schema._schema.type_map)


def test_export_schema_command_prints_the_sdl() -> None:
    out = subprocess.run(
        [sys.executable, "-c", "import cli; cli.main(['export-schema'])"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert out.stdout == export_schema()


BUILT_IN_SCALARS = frozenset({"String", "Int", "Float", "Boolean", "ID"})


def undocumented_elements() -> list[str]:
    """Every type, field, argument, input field and enum value of the schema without a description."""
    from graphql import (
        GraphQLEnumType,
        GraphQLInputObjectType,
        GraphQLInterfaceType,
        GraphQLObjectType,
        GraphQLScalarType,
        GraphQLUnionType,
    )

    from schema import schema

    missing: list[str] = []

    def described(text: str | None) -> bool:
        return bool(text and text.strip())

    for name, kind in sorted(schema._schema.type_map.items()):
        if name.startswith("__") or name in BUILT_IN_SCALARS:
            continue
        if not described(kind.description):
            missing.append(name)
        if isinstance(kind, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in kind.fields.items():
                if not described(field.description):
                    missing.append(f"{name}.{field_name}")
                for arg_name, arg in field.args.items():
                    if not described(arg.description):
                        missing.append(f"{name}.{field_name}({arg_name})")
        elif isinstance(kind, GraphQLInputObjectType):
            for field_name, field in kind.fields.items():
                if not described(field.description):
                    missing.append(f"{name}.{field_name}")
        elif isinstance(kind, GraphQLEnumType):
            for value_name, value in kind.values.items():
                if not described(value.description):
                    missing.append(f"{name}.{value_name}")
        else:
            assert isinstance(kind, GraphQLScalarType | GraphQLUnionType)
    return missing


def test_schema_every_element_described() -> None:
    missing = undocumented_elements()
    assert not missing, f"{len(missing)} schema elements have no description:\n" + "\n".join(missing)
