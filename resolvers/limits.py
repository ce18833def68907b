"""Limits at the GraphQL edge (OWASP GraphQL cheat sheet; graphql-armor's defaults as reference).

- expanded size, before any other validation: the fields a document selects once every fragment
  spread is expanded, and how often one selection set repeats a response name, with each
  fragment measured once (:func:`document_shape`), so that a 1 KB document of nested spreads
  is refused in microseconds instead of being walked in exponential (or quadratic) time by
  the rules below;
- depth, aliases and tokens: strawberry's own limiters;
- directives: at most ``max_directives`` in one document;
- cost: every field costs 1, multiplied by the sizes of the lists above it. A list's size is
  its ``first`` argument (a literal, else the variable's default, else the page cap, because
  validation cannot see variable values), or ``default_list_size`` for plain lists.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    VariableNode,
)
from strawberry.extensions import ValidationCache


def _first_argument(field: FieldNode, variable_defaults: dict[str, Any], cap: int) -> int | None:
    for argument in field.arguments or ():
        if argument.name.value != "first":
            continue
        value = argument.value
        if isinstance(value, IntValueNode):
            return int(value.value)
        if isinstance(value, VariableNode):
            default = variable_defaults.get(value.name.value)
            return int(default) if isinstance(default, int) else cap
    return None


def cost_limit_rule(max_cost: int, default_list_size: int, page_cap: int) -> type[ValidationRule]:
    class CostLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.context = context

        def enter_operation_definition(self, node: OperationDefinitionNode,
                                       *_: Any) -> None:
            schema = self.context.schema
            root = {"query": schema.query_type, "mutation": schema.mutation_type,
                    "subscription": schema.subscription_type}[node.operation.value]
            defaults = {
                d.variable.name.value: int(d.default_value.value)
                for d in node.variable_definitions or ()
                if isinstance(d.default_value, IntValueNode)
            }
            cost = self._cost(node.selection_set, root, 1, defaults, set())
            if cost > max_cost:
                self.report_error(GraphQLError(
                    f"The query costs {cost}, above the limit of {max_cost}; ask for smaller "
                    "pages (`first`) or fewer nested lists.", node))

        def _cost(self, selections: SelectionSetNode | None, parent: GraphQLNamedType | None,
                  multiplier: int, defaults: dict[str, Any], seen: set[str]) -> int:
            if selections is None or not isinstance(parent, GraphQLObjectType |
                                                    GraphQLInterfaceType):
                return 0
            total = 0
            for selection in selections.selections:
                if isinstance(selection, FieldNode):
                    definition = parent.fields.get(selection.name.value)
                    if definition is None:
                        continue  # __typename, introspection, or invalid (reported elsewhere)
                    kind, size = definition.type, multiplier
                    if isinstance(kind, GraphQLNonNull):
                        kind = kind.of_type
                    if isinstance(kind, GraphQLList) and parent.name.endswith("Connection"):
                        while isinstance(kind, GraphQLList | GraphQLNonNull):
                            kind = kind.of_type  # a page's edges: its size is `first`, counted
                    elif isinstance(kind, GraphQLList):
                        first = _first_argument(selection, defaults, page_cap)
                        size *= first if first is not None else default_list_size
                        while isinstance(kind, GraphQLList | GraphQLNonNull):
                            kind = kind.of_type
                    else:
                        first = _first_argument(selection, defaults, page_cap)
                        if first is not None:  # a connection: its edges are a page
                            size *= max(first, 1)
                    total += multiplier + self._cost(selection.selection_set, kind, size,
                                                     defaults, seen)
                elif isinstance(selection, InlineFragmentNode):
                    target = (self.context.schema.get_type(selection.type_condition.name.value)
                              if selection.type_condition else parent)
                    total += self._cost(selection.selection_set, target, multiplier, defaults,
                                        seen)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self.context.get_fragment(name)
                    if fragment is None or name in seen:
                        continue
                    target = self.context.schema.get_type(fragment.type_condition.name.value)
                    total += self._cost(fragment.selection_set, target, multiplier, defaults,
                                        seen | {name})
            return total

    return CostLimit


@dataclass(frozen=True, slots=True)
class Shape:
    """What validation will have to walk: ``fields`` selected once fragments are expanded, and
    ``repeats``, the most fields one selection set gives the same response name (graphql-core
    compares those pairwise to check they can merge)."""

    fields: int
    repeats: int


class _TooLarge(Exception):
    pass


def document_shape(document: DocumentNode, limit: int) -> Shape:
    """The :class:`Shape` of ``document``; counting stops past ``limit`` fields. Each fragment
    is measured once (memoised), so the work is linear in the document's size; cycles and
    unknown fragments count nothing here (validation names them)."""
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    measured: dict[str, tuple[int, Counter[str]]] = {}
    open_fragments: set[str] = set()
    repeats = 0

    def fragment(name: str) -> tuple[int, Counter[str]]:
        if name not in measured:
            if name in open_fragments or name not in fragments:
                return 0, Counter()
            open_fragments.add(name)
            measured[name] = level(fragments[name].selection_set)
            open_fragments.discard(name)
        return measured[name]

    def level(selections: SelectionSetNode | None) -> tuple[int, Counter[str]]:
        """(fields below, response names at this level with spreads merged in)."""
        nonlocal repeats
        size, names = 0, Counter[str]()
        for selection in selections.selections if selections else ():
            if isinstance(selection, FieldNode):
                size += 1 + level(selection.selection_set)[0]
                names[(selection.alias or selection.name).value] += 1
            elif isinstance(selection, FragmentSpreadNode | InlineFragmentNode):
                nested = (fragment(selection.name.value)
                          if isinstance(selection, FragmentSpreadNode)
                          else level(selection.selection_set))
                size += nested[0]
                names.update(nested[1])
            if size > limit:
                raise _TooLarge
        repeats = max(repeats, *names.values(), 0)
        return size, names

    try:
        total = sum(level(d.selection_set)[0] for d in document.definitions
                    if isinstance(d, OperationDefinitionNode))
        return Shape(fields=total if total <= limit else limit + 1, repeats=repeats)
    except (_TooLarge, RecursionError):
        return Shape(fields=limit + 1, repeats=repeats)


class BoundedValidation(ValidationCache):
    """strawberry's validation cache, behind a bound: a document that selects more than
    ``max_fields`` fields once its fragments are expanded is refused without being validated
    (strawberry's depth limiter and the rules above walk every expansion)."""

    def __init__(self, *, max_fields: int, max_repeats: int, maxsize: int = 256) -> None:
        super().__init__(maxsize=maxsize)
        self.max_fields = max_fields
        self.max_repeats = max_repeats

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        shape = document_shape(document, self.max_fields) if document else Shape(0, 0)
        if shape.fields > self.max_fields:
            context.pre_execution_errors = [GraphQLError(
                f"The document selects more than {self.max_fields} fields once its fragments "
                "are expanded; send a smaller document.")]
        elif shape.repeats > self.max_repeats:
            context.pre_execution_errors = [GraphQLError(
                f"A selection set asks for one field more than {self.max_repeats} times "
                "(counting fragments); use fewer repeated fields or aliases.")]
        else:
            yield from super().on_validate()
            return
        yield


def directive_limit_rule(max_directives: int) -> type[ValidationRule]:
    class DirectiveLimit(ValidationRule):
        count = 0

        def enter_directive(self, *_: Any) -> None:
            self.count += 1
            if self.count == max_directives + 1:
                self.report_error(GraphQLError(
                    f"The document uses more than {max_directives} directives."))

    return DirectiveLimit
