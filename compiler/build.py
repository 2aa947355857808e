"""From a validated query document to a Plan, or the reason it falls back.

Fields are collected as graphql-core collects them (response keys in the order first seen, the
selections of one key merged, fragments matched on the object type, @skip and @include applied).
The directives' values are part of the plan's key (compiler/cache.py), so a plan never depends on
a variable for its shape; arguments are read at run time, with the variables of the run.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
)

from compiler.plan import (
    AbstractPlan,
    ConnectionPart,
    ConnectionPlan,
    EdgesPart,
    LeafField,
    LinkField,
    NodesPart,
    ObjectPlan,
    PageInfoPart,
    Plan,
    PlanField,
    Serializer,
    TypenameField,
    ValuePart,
)
from compiler.specs import Link, specs

# What one plan node weighs, roughly (dataclasses, closures, dictionaries): the byte bound of the
# plan cache counts these, not sys.getsizeof of a graph of shared objects.
NODE_BYTES = 600
PAGE_INFO_FIELDS = frozenset({"hasNextPage", "hasPreviousPage", "startCursor", "endCursor"})


class Unsupported(Exception):
    pass


def select_operation(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
    if len(chosen) != 1:
        raise Unsupported("operation")
    return chosen[0]


def directive_variables(operation: OperationDefinitionNode, document: DocumentNode) -> tuple[str, ...]:
    """The variables @skip and @include read: their values shape the plan (the cache key)."""
    names: list[str] = []

    def walk(selection_set: SelectionSetNode | None) -> None:
        if selection_set is None:
            return
        for selection in selection_set.selections:
            for directive in selection.directives or ():
                for argument in directive.arguments or ():
                    if isinstance(argument.value, VariableNode):
                        names.append(argument.value.name.value)
            walk(getattr(selection, "selection_set", None))

    walk(operation.selection_set)
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            walk(definition.selection_set)
    return tuple(sorted(set(names)))


class Builder:
    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: dict[str, Any],
    ) -> None:
        self.schema = schema
        self.variables = variables  # coerced: only @skip/@include read them here
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.operation = operation
        self.nodes = 0

    def build(self) -> Plan:
        if self.operation.operation is not OperationType.QUERY:
            raise Unsupported("not a query")
        if self.operation.directives:
            raise Unsupported("operation directives")
        query = self.schema.query_type
        assert query is not None
        root = self.object_plan(query, [self.operation.selection_set])
        return Plan(root=root, operation=self.operation, size=self.nodes * NODE_BYTES)

    # Collecting ----------------------------------------------------------------------------------

    def collect(
        self, object_type: GraphQLObjectType, selection_sets: list[SelectionSetNode]
    ) -> dict[str, list[FieldNode]]:
        fields: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()

        def walk(selection_set: SelectionSetNode) -> None:
            for selection in selection_set.selections:
                if not self.included(selection.directives or ()):
                    continue
                if isinstance(selection, FieldNode):
                    key = selection.alias.value if selection.alias else selection.name.value
                    fields.setdefault(key, []).append(selection)
                elif isinstance(selection, InlineFragmentNode):
                    condition = selection.type_condition
                    if condition is None or self.matches(condition.name.value, object_type):
                        walk(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    if name in visited:
                        continue
                    visited.add(name)
                    fragment = self.fragments.get(name)
                    if fragment is None or getattr(fragment, "variable_definitions", None):
                        raise Unsupported("fragment variables")
                    if getattr(selection, "arguments", None):
                        raise Unsupported("fragment arguments")
                    if fragment.directives:
                        raise Unsupported("fragment definition directives")
                    if self.matches(fragment.type_condition.name.value, object_type):
                        walk(fragment.selection_set)

        for selection_set in selection_sets:
            walk(selection_set)
        return fields

    def matches(self, condition: str, object_type: GraphQLObjectType) -> bool:
        if condition == object_type.name:
            return True
        abstract = self.schema.get_type(condition)
        return abstract is not None and self.schema.is_sub_type(abstract, object_type)  # type: ignore[arg-type]

    def included(self, directives: Any) -> bool:
        for directive in directives:
            name = directive.name.value
            if name not in ("skip", "include"):
                raise Unsupported(f"directive @{name}")
            value = self.flag(directive)
            if (name == "skip" and value) or (name == "include" and not value):
                return False
        return True

    def flag(self, directive: DirectiveNode) -> bool:
        (argument,) = directive.arguments or ()
        node = argument.value
        if isinstance(node, BooleanValueNode):
            return node.value
        if isinstance(node, VariableNode):
            return bool(self.variables.get(node.name.value))
        raise Unsupported("directive argument")

    # Plans ---------------------------------------------------------------------------------------

    def object_plan(
        self, object_type: GraphQLObjectType, selection_sets: list[SelectionSetNode]
    ) -> ObjectPlan:
        spec = specs().get(object_type.name)
        if spec is None:
            raise Unsupported(f"type {object_type.name}")
        plan_fields: list[PlanField] = []
        links: list[LinkField] = []
        for key, nodes in self.collect(object_type, selection_sets).items():
            self.nodes += 1
            name = nodes[0].name.value
            if name == "__typename":
                plan_fields.append(TypenameField(key, object_type.name))
                continue
            definition = object_type.fields.get(name)
            if definition is None:
                raise Unsupported(f"{object_type.name}.{name}")  # __schema, __type
            leaf = spec.leaves.get(name)
            if leaf is not None:
                if nodes[0].arguments or definition.args:
                    raise Unsupported(f"{object_type.name}.{name} arguments")
                serialize, non_null, identity = _leaf_type(definition.type)
                plan_fields.append(LeafField(key, leaf, serialize, non_null, identity))
                continue
            link = spec.links.get(name)
            if link is None:
                raise Unsupported(f"{object_type.name}.{name}")
            if set(definition.args) - link.args:
                raise Unsupported(f"{object_type.name}.{name} arguments")
            non_null = isinstance(definition.type, GraphQLNonNull)
            target = definition.type.of_type if non_null else definition.type  # type: ignore[attr-defined]
            sub_sets = [n.selection_set for n in nodes if n.selection_set is not None]
            child: ObjectPlan | ConnectionPlan | AbstractPlan
            if link.kind == "connection":
                child = self.connection_plan(target, link, sub_sets)
            elif link.kind == "abstract":
                child = self.abstract_plan(target, link, sub_sets)
            elif link.kind == "list":
                item = _list_item(definition.type)
                if not isinstance(item, GraphQLObjectType) or item.name != link.target:
                    raise Unsupported(f"{object_type.name}.{name} type")
                child = self.object_plan(item, sub_sets)
            else:
                if not isinstance(target, GraphQLObjectType) or target.name != link.target:
                    raise Unsupported(f"{object_type.name}.{name} type")
                child = self.object_plan(target, sub_sets)
            link_field = LinkField(key, link, definition, nodes[0], child, non_null)
            plan_fields.append(link_field)
            links.append(link_field)
        return ObjectPlan(spec, plan_fields, links)

    def abstract_plan(self, target: Any, link: Link, selection_sets: list[SelectionSetNode]) -> AbstractPlan:
        """An object plan for every type the interface may be, or None for a type whose selection
        the compiler does not take (a row of that type falls back at run time)."""
        if not isinstance(target, GraphQLInterfaceType) or target.name != link.target:
            raise Unsupported("abstract type")
        plans: dict[str, ObjectPlan | None] = {}
        for object_type in self.schema.get_possible_types(target):
            try:
                plans[object_type.name] = self.object_plan(object_type, selection_sets)
            except Unsupported:
                plans[object_type.name] = None
        if not any(plans.values()):
            raise Unsupported(f"no type of {target.name} the compiler takes")
        return AbstractPlan(plans)

    def connection_plan(
        self, target: Any, link: Link, selection_sets: list[SelectionSetNode]
    ) -> ConnectionPlan:
        if not isinstance(target, GraphQLObjectType) or not target.name.endswith("Connection"):
            raise Unsupported("connection type")
        parts: list[ConnectionPart] = []
        for key, nodes in self.collect(target, selection_sets).items():
            self.nodes += 1
            name = nodes[0].name.value
            sub_sets = [n.selection_set for n in nodes if n.selection_set is not None]
            if name == "__typename":
                parts.append(ValuePart(key, "typename", target.name))
            elif name == "totalCount":
                parts.append(ValuePart(key, "totalCount"))
            elif name == "nodes":
                node_type = _list_item(target.fields[name].type)
                parts.append(NodesPart(key, self.node_plan(node_type, link, sub_sets)))
            elif name == "edges":
                edge_type = _list_item(target.fields[name].type)
                parts.append(self.edges_part(key, edge_type, link, sub_sets))
            elif name == "pageInfo":
                page_info = _named(target.fields[name].type)
                parts.append(self.page_info_part(key, page_info, sub_sets))
            else:
                raise Unsupported(f"{target.name}.{name}")
        return ConnectionPlan(target.name, parts)

    def node_plan(self, node_type: Any, link: Link, sub_sets: list[SelectionSetNode]) -> ObjectPlan:
        if not isinstance(node_type, GraphQLObjectType) or node_type.name != link.target:
            raise Unsupported("connection node type")
        return self.object_plan(node_type, sub_sets)

    def edges_part(self, key: str, edge_type: Any, link: Link, sub_sets: list[SelectionSetNode]) -> EdgesPart:
        if not isinstance(edge_type, GraphQLObjectType):
            raise Unsupported("edge type")
        parts: list[tuple[str, str, ObjectPlan | str | None]] = []
        for edge_key, nodes in self.collect(edge_type, sub_sets).items():
            self.nodes += 1
            name = nodes[0].name.value
            if name == "node":
                node_sets = [n.selection_set for n in nodes if n.selection_set is not None]
                node_type = _named(edge_type.fields["node"].type)
                parts.append((edge_key, "node", self.node_plan(node_type, link, node_sets)))
            elif name == "cursor":
                parts.append((edge_key, "cursor", None))
            elif name == "__typename":
                parts.append((edge_key, "typename", edge_type.name))
            else:
                raise Unsupported(f"{edge_type.name}.{name}")
        return EdgesPart(key, parts)

    def page_info_part(self, key: str, page_info: Any, sub_sets: list[SelectionSetNode]) -> PageInfoPart:
        parts: list[tuple[str, str]] = []
        for info_key, nodes in self.collect(page_info, sub_sets).items():
            self.nodes += 1
            name = nodes[0].name.value
            if name == "__typename":
                parts.append((info_key, f"__typename:{page_info.name}"))
            elif name in PAGE_INFO_FIELDS:
                parts.append((info_key, name))
            else:
                raise Unsupported(f"PageInfo.{name}")
        return PageInfoPart(key, parts)


def _named(type_: Any) -> Any:
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    return type_


def _list_item(type_: Any) -> Any:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if not isinstance(type_, GraphQLList) or not isinstance(type_.of_type, GraphQLNonNull):
        raise Unsupported("list of nullable items")
    return type_.of_type.of_type


def _leaf_type(type_: Any) -> tuple[Serializer, bool, str | None]:
    """The leaf's serializer (graphql-core's own), whether it is non-null, and the class of the
    values that serializer returns unchanged."""
    non_null = isinstance(type_, GraphQLNonNull)
    if non_null:
        type_ = type_.of_type
    if not isinstance(type_, GraphQLScalarType | GraphQLEnumType):
        raise Unsupported("leaf type")
    identity = {"String": "str", "ID": "str", "Int": "int", "Boolean": "bool"}.get(type_.name)
    serialize: Serializer = type_.serialize
    if isinstance(type_, GraphQLEnumType):
        # An enum's serializer scans its values; its answer for a value never changes.
        serialize = _remembered(serialize)
    return serialize, non_null, identity


def _remembered(serialize: Serializer) -> Serializer:
    seen: dict[Any, Any] = {}

    def remembered(value: Any) -> Any:
        try:
            return seen[value]
        except KeyError:
            found = seen[value] = serialize(value)
            return found
        except TypeError:  # not hashable
            return serialize(value)

    return remembered
