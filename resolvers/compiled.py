"""Compiled reads: queries over reports answered without graphql-core's field-by-field executor.

A document is planned once per (document, operation): its selections are collected (fragments,
inline fragments and literal ``@include``/``@skip`` resolved, fields merged by response key)
into a tree of the schema's own fields. A request then runs the root the way its resolver does
(``report(id)`` or ``reports(first, after)``, reading ahead in one statement what the tree
needs), and walks the tree calling each field's own resolver and its own permission checks, and
serialising with the schema's own scalars and enums. Nothing is written twice: a field's
meaning lives in its resolver; the plan only decides which resolvers run, in which order.

**Fall back, never differ.** Whatever the plan does not cover goes through strawberry's
executor: mutations and subscriptions, documents it has not yet seen validated by the executor,
other root fields, fields with arguments below the root, abstract types, variables in
directives or of types other than ID, String, Int and Boolean, and any error other than a field
permission's denial (a ``null`` in a non-null position, a resolver raising). A request that
falls back starts again from a clean context, so the executor's answer, audit event and rate
count are what they would have been.

The audit event is the executor's: the same record (``authz.audit.operation_record``), written
through the same group commit before the answer leaves.
"""

from __future__ import annotations

import inspect
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import strawberry
from graphql import (
    BooleanValueNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListTypeNode,
    NamedTypeNode,
    NonNullTypeNode,
    NullValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    StringValueNode,
    TypeNode,
    ValueNode,
    VariableNode,
    parse,
)
from graphql.error import GraphQLSyntaxError
from graphql.pyutils import Path
from strawberry.permission import PermissionExtension
from strawberry.types import ExecutionResult

from authz.audit import UNAVAILABLE, operation_record, unanswered_for_outage, write_record
from graph.core.errors import ServiceUnavailable
from graph.reports.queries import Shape
from resolvers.context import Context
from resolvers.reports.resolvers import report_page, report_reading_ahead
from resolvers.reports.types import (
    FILE_READS,
    LABEL_READS,
    MENTION_READS,
    REPORT_READS,
    STORED_AS_SENT,
)

ROOTS: Final = {"report": frozenset({"id"}), "reports": frozenset({"first", "after"})}
VARIABLE_TYPES: Final = frozenset({"ID", "String", "Int", "Boolean"})
MAX_PLANS: Final = 512
MAX_VALIDATED: Final = 4096
INT_RANGE: Final = range(-(2 ** 31), 2 ** 31)


class NotCompiled(Exception):
    """This operation, or this request of it, goes through the executor."""


class Unavailable(Exception):
    """The database is unavailable: the answer is this error, at once (the executor would
    only wait for the same outage again)."""

    def __init__(self, error: GraphQLError) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass
class Selected:
    """One response key of a selection set, on one object type."""

    key: str
    name: str
    nodes: list[FieldNode]
    type: GraphQLOutputType | None = None  # None for __typename
    resolve: Callable[[Any, Any], Any] | None = None
    permissions: list[PermissionExtension] = field(default_factory=list)
    children: list[Selected] = field(default_factory=list)
    arguments: dict[str, ValueNode] = field(default_factory=dict)
    takes_info: bool = False  # the resolver reads strawberry's Info
    leaf: bool = False  # a synchronous resolver of a scalar or an enum (or a list of them)
    serialize: Callable[[Any], Any] | None = None  # a scalar's or enum's value as sent


@dataclass
class Plan:
    operation_name: str | None
    variables: dict[str, tuple[str, bool, ValueNode | None]]  # name -> (type, non-null, default)
    roots: list[Selected]
    asked: set[str]  # every field name below the roots (what to read ahead)
    shape: Shape  # the stored properties the selected fields read of reports and files


class Info:
    """What a field's resolver and permissions read of strawberry's Info: the context and the
    path (the audit trail's denied fields name it)."""

    __slots__ = ("context", "path")

    def __init__(self, context: Context, path: Path) -> None:
        self.context = context
        self.path = path


def _literal(value: ValueNode, variables: dict[str, Any]) -> Any:
    if isinstance(value, VariableNode):
        return variables.get(value.name.value)
    if isinstance(value, BooleanValueNode):
        return value.value
    if isinstance(value, IntValueNode):
        return int(value.value)
    if isinstance(value, StringValueNode):
        return value.value
    if isinstance(value, NullValueNode):
        return None
    raise NotCompiled("an argument the plan does not read")


def _included(node: FieldNode | InlineFragmentNode | FragmentSpreadNode) -> bool:
    included = True
    for directive in node.directives or ():
        if directive.name.value not in ("include", "skip"):
            raise NotCompiled("a directive the plan does not know")
        [argument] = directive.arguments or ()
        if not isinstance(argument.value, BooleanValueNode):
            raise NotCompiled("a directive whose value is a variable")
        if argument.value.value != (directive.name.value == "include"):
            included = False
    return included


def _named(type_: GraphQLOutputType) -> GraphQLNamedType:
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    return type_


def _resolver(definition: Any) -> tuple[Callable[[Any, Any], Any], bool, bool]:
    """A field's resolver as ``(source, info) -> value``; whether it reads the Info; whether it
    answers without awaiting."""
    resolver = definition.base_resolver
    if resolver is None:
        name = definition.python_name
        return (lambda source, info: getattr(source, name)), False, True
    parameters = list(inspect.signature(resolver.wrapped_func).parameters)
    function = resolver.wrapped_func
    synchronous = not inspect.iscoroutinefunction(function)
    if parameters == ["self"]:
        return (lambda source, info: function(source)), False, synchronous
    if parameters == ["self", "info"]:
        return (lambda source, info: function(source, info)), True, synchronous
    raise NotCompiled(f"{definition.python_name} takes arguments")


def _stored(attribute: str, key: str) -> Callable[[Any, Any], Any]:
    """A field sent as stored: its property, read straight from the object's row."""
    def read(source: Any, info: Any) -> Any:
        return getattr(source, attribute).get(key)
    return read


def _reads(fields: set[str], reads: Mapping[str, tuple[str, ...]]) -> frozenset[str] | None:
    """The stored properties ``fields`` read, or ``None`` (all) when one is not declared."""
    if not fields <= set(reads):
        return None
    return frozenset(name for field_name in fields for name in reads[field_name])


class Planner:
    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema

    def plan(self, document: DocumentNode, operation_name: str | None) -> Plan:
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if operation_name is not None:
            operations = [o for o in operations if o.name and o.name.value == operation_name]
        if len(operations) != 1 or operations[0].operation is not OperationType.QUERY:
            raise NotCompiled("not one query")
        [operation] = operations
        fragments = {d.name.value: d for d in document.definitions
                     if isinstance(d, FragmentDefinitionNode)}
        variables: dict[str, tuple[str, bool, ValueNode | None]] = {}
        for definition in operation.variable_definitions or ():
            name, non_null = self._variable_type(definition.type)
            if definition.directives:
                raise NotCompiled("a variable with directives")
            variables[definition.variable.name.value] = (name, non_null,
                                                        definition.default_value)
        query_type = self.schema.query_type
        assert query_type is not None
        roots = self._collect(operation.selection_set, query_type, fragments, root=True)
        asked: set[str] = set()
        on: dict[str, set[str]] = {"Report": set(), "File": set(), "ReportIdentifier": set(),
                                   "Classification": set()}
        stack = list(roots)
        while stack:
            selected = stack.pop()
            if selected.type is not None and _named(selected.type).name in on:
                on[_named(selected.type).name].update(c.name for c in selected.children)
            asked.update(c.name for c in selected.children)
            stack.extend(selected.children)
        whole_files = "labelSummary" in on["Report"]  # reads whole files and labels
        return Plan(operation.name.value if operation.name else None, variables, roots, asked,
                    Shape(report=_reads(on["Report"], REPORT_READS),
                          file=None if whole_files else _reads(on["File"], FILE_READS),
                          mention=_reads(on["ReportIdentifier"], MENTION_READS),
                          label=None if whole_files
                          else _reads(on["Classification"], LABEL_READS)))

    @staticmethod
    def _variable_type(node: TypeNode) -> tuple[str, bool]:
        non_null = isinstance(node, NonNullTypeNode)
        inner = node.type if isinstance(node, NonNullTypeNode) else node
        if isinstance(inner, ListTypeNode) or not isinstance(inner, NamedTypeNode):
            raise NotCompiled("a list variable")
        if inner.name.value not in VARIABLE_TYPES:
            raise NotCompiled("a variable of an input type")
        return inner.name.value, non_null

    def _collect(self, selection_set: SelectionSetNode, type_: GraphQLObjectType,
                 fragments: dict[str, FragmentDefinitionNode], *, root: bool = False,
                 into: OrderedDict[str, Selected] | None = None) -> list[Selected]:
        found: OrderedDict[str, Selected] = OrderedDict() if into is None else into
        for selection in selection_set.selections:
            if not isinstance(selection, FieldNode | InlineFragmentNode | FragmentSpreadNode):
                raise NotCompiled("a selection the plan does not know")
            if not _included(selection):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                if key in found:
                    found[key].nodes.append(selection)
                else:
                    found[key] = Selected(key, selection.name.value, [selection])
            else:
                condition: NamedTypeNode | None
                if isinstance(selection, FragmentSpreadNode):
                    fragment = fragments.get(selection.name.value)
                    if fragment is None:
                        raise NotCompiled("an unknown fragment")
                    condition, inner = fragment.type_condition, fragment.selection_set
                else:
                    condition, inner = selection.type_condition, selection.selection_set
                if condition is not None and condition.name.value != type_.name:
                    raise NotCompiled("a fragment on another type")
                self._collect(inner, type_, fragments, root=root, into=found)
        if into is not None:
            return []
        for selected in found.values():
            self._complete(selected, type_, fragments, root=root)
        return list(found.values())

    def _complete(self, selected: Selected, type_: GraphQLObjectType,
                  fragments: dict[str, FragmentDefinitionNode], *, root: bool) -> None:
        if selected.name == "__typename":
            return
        if selected.name.startswith("__"):
            raise NotCompiled("introspection")
        definition = type_.fields.get(selected.name)
        if definition is None:
            raise NotCompiled("an unknown field")
        arguments = {a.name.value: a.value for node in selected.nodes
                     for a in node.arguments or ()}
        if root:
            if selected.name not in ROOTS or not set(arguments) <= ROOTS[selected.name]:
                raise NotCompiled("a root field the plan does not cover")
            if len({str(n.arguments) for n in selected.nodes}) > 1:
                raise NotCompiled("one root field asked with different arguments")
            selected.arguments = arguments
        elif definition.args:
            raise NotCompiled("a field with arguments")
        strawberry_field = (definition.extensions or {}).get("strawberry-definition")
        if strawberry_field is None:
            raise NotCompiled("a field strawberry does not define")
        for extension in strawberry_field.extensions:
            if not isinstance(extension, PermissionExtension):
                raise NotCompiled("a field extension the plan does not know")
            selected.permissions.append(extension)
        selected.type = definition.type
        named = _named(definition.type)
        if not root and selected.name in STORED_AS_SENT.get(type_.name, ("", {}))[1]:
            attribute, stored = STORED_AS_SENT[type_.name]
            selected.resolve, synchronous = _stored(attribute, stored[selected.name]), True
        elif not root:
            selected.resolve, selected.takes_info, synchronous = _resolver(strawberry_field)
            selected.leaf = synchronous and isinstance(named,
                                                       GraphQLScalarType | GraphQLEnumType)
        if isinstance(named, GraphQLScalarType | GraphQLEnumType):
            selected.serialize = _serializer(definition.type)
        if isinstance(named, GraphQLObjectType):
            merged = SelectionSetNode(selections=tuple(
                s for node in selected.nodes if node.selection_set
                for s in node.selection_set.selections))
            selected.children = self._collect(merged, named, fragments)
        elif not isinstance(named, GraphQLScalarType | GraphQLEnumType):
            raise NotCompiled("an abstract type")


@dataclass
class Run:
    context: Context
    errors: list[GraphQLError] = field(default_factory=list)


class CompiledReads:
    """The plans of one schema, and the documents its executor has validated."""

    def __init__(self, schema: GraphQLSchema,
                 on_path: Callable[[str, str | None], None] = lambda path, name: None,
                 *, audit: bool = True) -> None:
        self.audit = audit  # False only for the benchmark of what the audit trail costs
        self.planner = Planner(schema)
        self.plans: OrderedDict[tuple[str, str | None], Plan | None] = OrderedDict()
        self.validated: OrderedDict[str, None] = OrderedDict()
        self.on_path = on_path

    def learn(self, query: str | None, result: ExecutionResult) -> None:
        """The executor answered ``query`` with data: it parsed and validated, and so it will
        again (validation depends on the document alone)."""
        if query and result.data is not None:
            self.validated[query] = None
            self.validated.move_to_end(query)
            while len(self.validated) > MAX_VALIDATED:
                self.validated.popitem(last=False)

    def _plan(self, query: str, operation_name: str | None) -> Plan | None:
        key = (query, operation_name)
        if key in self.plans:
            self.plans.move_to_end(key)
            return self.plans[key]
        try:
            plan: Plan | None = self.planner.plan(parse(query), operation_name)
        except (NotCompiled, GraphQLSyntaxError):
            plan = None
        self.plans[key] = plan
        while len(self.plans) > MAX_PLANS:
            self.plans.popitem(last=False)
        return plan

    async def execute(self, context: Context, query: str | None, operation_name: str | None,
                      variables: dict[str, Any] | None) -> ExecutionResult | None:
        """The answer, or ``None``: the executor answers this request."""
        if (not query or query not in self.validated or context.principal is None
                or context.auth_error is not None):
            self.on_path("executor", operation_name)
            return None
        plan = self._plan(query, operation_name)
        if plan is None:
            self.on_path("executor", operation_name)
            return None
        try:
            values = self._variables(plan, variables or {})
            run = Run(context)
            data = {}
            for root in plan.roots:
                data[root.key] = await self._root(run, plan, root, values)
        except Unavailable as outage:  # the database is down: answered at once, not retried
            self.on_path("compiled", plan.operation_name)
            return ExecutionResult(data=None, errors=[outage.error])
        except NotCompiled:
            # start again from a clean context: the executor's answer and audit event are
            # what they would have been
            context.denied_fields.clear()
            context.touched_reports.clear()
            context.asked_reports.clear()
            context.fresh_loaders()
            self.on_path("executor", plan.operation_name)
            return None
        self.on_path("compiled", plan.operation_name)
        result = ExecutionResult(data=data, errors=run.errors or None)
        record = operation_record(context, operation_name=plan.operation_name,
                                  operation_type="query", query=query, variables=variables,
                                  errors=run.errors)
        if (record is not None and self.audit and not unanswered_for_outage(data, run.errors)
                and not await write_record(context, record)):
            result = ExecutionResult(data=None, errors=[GraphQLError(
                UNAVAILABLE, extensions={"code": "SERVICE_UNAVAILABLE"})])
        return result

    @staticmethod
    def _variables(plan: Plan, given: dict[str, Any]) -> dict[str, Any]:
        values = {}
        for name, (type_name, non_null, default) in plan.variables.items():
            value = given.get(name)
            if name not in given and default is not None:
                value = _literal(default, {})
            if value is None:
                if non_null:
                    raise NotCompiled("a required variable is missing")
            elif type_name == "ID":
                if isinstance(value, bool) or not isinstance(value, str | int):
                    raise NotCompiled("an ID that is not a string or an integer")
                value = str(value)
            elif type_name == "String" and not isinstance(value, str):
                raise NotCompiled("not a string")
            elif type_name == "Int" and (isinstance(value, bool) or not isinstance(value, int)
                                         or value not in INT_RANGE):
                raise NotCompiled("not an Int")
            elif type_name == "Boolean" and not isinstance(value, bool):
                raise NotCompiled("not a Boolean")
            values[name] = value
        return values

    async def _root(self, run: Run, plan: Plan, root: Selected, values: dict[str, Any]) -> Any:
        if root.name == "__typename":
            return "Query"
        info: Any = Info(run.context, Path(None, root.key, "Query"))
        value: Any
        arguments = {name: _literal(value, values) for name, value in root.arguments.items()}
        try:
            if root.name == "report":
                if not isinstance(arguments.get("id"), str | int):
                    raise NotCompiled("report needs an id")
                value = await report_reading_ahead(info, strawberry.ID(str(arguments["id"])),
                                                   plan.asked, plan.shape)
            else:
                first, after = arguments.get("first"), arguments.get("after")
                if (first is not None and not isinstance(first, int)) or (
                        after is not None and not isinstance(after, str)):
                    raise NotCompiled("reports' arguments")
                value = await report_page(info, first, after, None, None, plan.asked,
                                          plan.shape)
        except NotCompiled:
            raise
        except ServiceUnavailable as error:  # the executor would only wait for it again
            raise Unavailable(GraphQLError(error.message, path=info.path.as_list(),
                                           original_error=error)) from error
        except Exception as error:  # the executor turns it into the same error, with its path
            raise NotCompiled(str(error)) from error
        assert root.type is not None
        return await self._complete(run, value, root.type, root, info.path)

    async def _complete(self, run: Run, value: Any, type_: GraphQLOutputType,
                        selected: Selected, path: Path) -> Any:
        if isinstance(type_, GraphQLNonNull):
            completed = await self._complete(run, value, type_.of_type, selected, path)
            if completed is None:
                raise NotCompiled("a null where the schema promises a value")
            return completed
        if value is None:
            return None
        if isinstance(type_, GraphQLList):
            return [await self._complete(run, item, type_.of_type, selected, path.add_key(i))
                    for i, item in enumerate(value)]
        if isinstance(type_, GraphQLScalarType | GraphQLEnumType):
            return type_.serialize(value)
        assert isinstance(type_, GraphQLObjectType)
        out: dict[str, Any] = {}
        for child in selected.children:
            if child.name == "__typename":
                out[child.key] = type_.name
            elif child.leaf and not child.permissions:
                out[child.key] = self._leaf(run, value, type_, child, path)
            else:
                out[child.key] = await self._field(run, value, type_, child, path)
        return out

    def _leaf(self, run: Run, source: Any, type_: GraphQLObjectType, child: Selected,
              path: Path) -> Any:
        """A scalar or enum field whose resolver does not await and that no permission guards:
        most of a page's fields, answered without a coroutine each (or a path, unless the
        resolver reads it)."""
        assert child.resolve is not None
        assert child.type is not None
        info: Any = (Info(run.context, path.add_key(child.key, type_.name)) if child.takes_info
                     else None)
        try:
            value = child.resolve(source, info)
        except Exception as error:  # the executor gives the same error, with its path
            raise NotCompiled(str(error)) from error
        return _sent(child, value)

    async def _field(self, run: Run, source: Any, type_: GraphQLObjectType, child: Selected,
                     path: Path) -> Any:
        field_path = path.add_key(child.key, type_.name)
        info: Any = Info(run.context, field_path)
        for extension in child.permissions:
            for permission in extension.permissions:
                allowed = permission.has_permission(source, info)
                if not isinstance(allowed, bool):
                    raise NotCompiled("a permission that is not a plain check")
                if allowed:
                    continue
                if extension.fail_silently:
                    return [] if extension.return_empty_list else None
                run.errors.append(GraphQLError(
                    str(permission.message), nodes=child.nodes, path=field_path.as_list(),
                    extensions=dict(permission.error_extensions or {})))
                assert child.type is not None
                return await self._complete(run, None, child.type, child, field_path)
        assert child.resolve is not None
        assert child.type is not None
        try:
            value = child.resolve(source, info)
            if inspect.isawaitable(value):
                value = await value
        except Exception as error:
            raise NotCompiled(str(error)) from error
        if child.serialize is not None:
            return _sent(child, value)
        return await self._complete(run, value, child.type, child, field_path)


def _sent(child: Selected, value: Any) -> Any:
    """A scalar or enum field's value as the response carries it; an error falls back to the
    executor, which gives the same error with its path."""
    assert child.serialize is not None
    try:
        return child.serialize(value)
    except NotCompiled:
        raise
    except Exception as error:
        raise NotCompiled(str(error)) from error


def _serializer(type_: GraphQLOutputType) -> Callable[[Any], Any]:
    """How a value of a scalar or enum type (or a list of them) is sent, decided once per plan:
    the schema's own serialisation, an enum's remembered per member."""
    if isinstance(type_, GraphQLNonNull):
        inner = _serializer(type_.of_type)

        def non_null(value: Any) -> Any:
            completed = inner(value)
            if completed is None:
                raise NotCompiled("a null where the schema promises a value")
            return completed
        return non_null
    if isinstance(type_, GraphQLList):
        item = _serializer(type_.of_type)
        return lambda value: None if value is None else [item(v) for v in value]
    assert isinstance(type_, GraphQLScalarType | GraphQLEnumType)
    serialize = type_.serialize
    if isinstance(type_, GraphQLScalarType):
        return lambda value: None if value is None else serialize(value)
    names: dict[Any, Any] = {}  # at most one entry per member: anything else raises

    def enum(value: Any) -> Any:
        if value is None:
            return None
        try:
            return names[value]
        except KeyError:
            names[value] = name = serialize(value)
            return name
        except TypeError:  # not hashable
            return serialize(value)
    return enum
