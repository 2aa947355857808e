"""The schema serves the API contract (tests/contract/api.graphql, both releases): every type with its
kind, every field, argument and input field with its named type and list depth, every enum value,
union member and interface, and every connection with edges, nodes, pageInfo and totalCount.

The contract is kept in the repository (a copy of what client teams were given), so the check runs
from a clone with nothing beside it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
    parse,
)
from graphql.language import (
    DefinitionNode,
    EnumTypeDefinitionNode,
    InputObjectTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    ListTypeNode,
    ObjectTypeDefinitionNode,
    ScalarTypeDefinitionNode,
    TypeNode,
    UnionTypeDefinitionNode,
)

from schema import schema

CONTRACT = Path(__file__).resolve().parent / "contract" / "api.graphql"
KINDS: dict[type[DefinitionNode], type] = {
    ObjectTypeDefinitionNode: GraphQLObjectType,
    InterfaceTypeDefinitionNode: GraphQLInterfaceType,
    InputObjectTypeDefinitionNode: GraphQLInputObjectType,
    EnumTypeDefinitionNode: GraphQLEnumType,
    UnionTypeDefinitionNode: GraphQLUnionType,
    ScalarTypeDefinitionNode: GraphQLScalarType,
}
CONNECTION_FIELDS = ("edges", "nodes", "pageInfo", "totalCount")


def written_shape(node: TypeNode) -> tuple[str, int]:
    """A type as the contract writes it: its named type and how many lists wrap it."""
    depth = 0
    current: Any = node
    while not hasattr(current, "name"):
        depth += isinstance(current, ListTypeNode)
        current = current.type
    return str(current.name.value), depth


def served_shape(graphql_type: Any) -> tuple[str, int]:
    depth = 0
    while isinstance(graphql_type, GraphQLNonNull | GraphQLList):
        depth += isinstance(graphql_type, GraphQLList)
        graphql_type = graphql_type.of_type
    return str(graphql_type.name), depth


def differences(contract: str) -> list[str]:
    """What the contract's text names that the schema does not serve, or serves differently."""
    served = schema._schema.type_map
    out: list[str] = []
    connections: set[str] = set()
    for definition in parse(contract).definitions:
        if type(definition) not in KINDS:
            continue
        name = definition.name.value  # type: ignore[attr-defined]
        found = served.get(name)
        if found is None:
            out.append(f"missing type {name}")
            continue
        if not isinstance(found, KINDS[type(definition)]):
            out.append(
                f"{name} is a {type(found).__name__}, the contract says {KINDS[type(definition)].__name__}"
            )
            continue
        if isinstance(
            definition, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode | InputObjectTypeDefinitionNode
        ):
            assert isinstance(found, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType)
            for field in definition.fields or []:
                have = found.fields.get(field.name.value)
                if have is None:
                    out.append(f"missing field {name}.{field.name.value}")
                    continue
                want = written_shape(field.type)
                if want[0].endswith("Connection"):
                    connections.add(want[0])
                if served_shape(have.type) != want:
                    out.append(
                        f"{name}.{field.name.value} is {served_shape(have.type)}, the contract says {want}"
                    )
                for argument in getattr(field, "arguments", None) or []:
                    arg = have.args.get(argument.name.value)  # type: ignore[union-attr]
                    if arg is None:
                        out.append(f"missing argument {name}.{field.name.value}({argument.name.value})")
                    elif served_shape(arg.type) != written_shape(argument.type):
                        out.append(
                            f"argument {name}.{field.name.value}({argument.name.value}) has another type"
                        )
            for interface in getattr(definition, "interfaces", None) or []:
                if interface.name.value not in {i.name for i in getattr(found, "interfaces", [])}:
                    out.append(f"{name} does not implement {interface.name.value}")
        elif isinstance(definition, EnumTypeDefinitionNode):
            assert isinstance(found, GraphQLEnumType)
            out += [
                f"missing enum value {name}.{v.name.value}"
                for v in definition.values or []
                if v.name.value not in found.values
            ]
        elif isinstance(definition, UnionTypeDefinitionNode):
            assert isinstance(found, GraphQLUnionType)
            members = {m.name for m in found.types}
            out += [
                f"union {name} lacks {m.name.value}"
                for m in definition.types or []
                if m.name.value not in members
            ]
    for name in sorted(connections):
        connection = served.get(name)
        if not isinstance(connection, GraphQLObjectType):
            out.append(f"missing type {name}")
            continue
        out += [f"missing field {name}.{f}" for f in CONNECTION_FIELDS if f not in connection.fields]
    return out


def test_schema_serves_the_contract_both_releases() -> None:
    assert differences(CONTRACT.read_text(encoding="utf-8")) == []


def test_contract_check_reports_what_is_missing() -> None:
    """The check itself can fail: what the schema lacks or serves differently is reported."""
    contract = CONTRACT.read_text(encoding="utf-8")
    probe = "type Person { shoeSize: Int  fullName: [String] }\nenum Role { ASTRONAUT }\ntype Telescope { id: ID }"
    found = differences(contract + "\n" + probe)
    assert "missing field Person.shoeSize" in found
    assert "Person.fullName is ('String', 0), the contract says ('String', 1)" in found
    assert "missing enum value Role.ASTRONAUT" in found and "missing type Telescope" in found
