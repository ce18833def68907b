"""Every GraphQL error leaves with a stable ``extensions.code``; internals never leave.

- :class:`graph.errors.TipgraphError` keeps its code and message;
- parse, validation and variable-coercion errors become ``BAD_USER_INPUT``;
- anything else is ``INTERNAL`` with a masked message (logged with the request id).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from graph.errors import TipgraphError

log = logging.getLogger("tipgraph.graphql")
MASKED_MESSAGE = "Internal error. Quote the request id to the operators."


def classify(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if isinstance(original, TipgraphError):
        extensions = {"code": original.code}
        if original.field:
            extensions["field"] = original.field
        return GraphQLError(original.message, nodes=error.nodes, source=error.source,
                            positions=error.positions, path=error.path, extensions=extensions)
    if original is None:
        # graphql-core's own: syntax, validation, variable coercion.
        code = (error.extensions or {}).get("code")
        if code in {"UNAUTHENTICATED", "FORBIDDEN", "RATE_LIMITED", "BAD_USER_INPUT"}:
            return error
        return GraphQLError(error.message, nodes=error.nodes, source=error.source,
                            positions=error.positions, path=error.path,
                            extensions={"code": "BAD_USER_INPUT"})
    log.error("unexpected error in %s", ".".join(map(str, error.path or [])),
              exc_info=(type(original), original, original.__traceback__))
    return GraphQLError(MASKED_MESSAGE, nodes=error.nodes, source=error.source,
                        positions=error.positions, path=error.path,
                        extensions={"code": "INTERNAL"})


class ErrorCodes(SchemaExtension):
    """Rewrites the operation's errors through :func:`classify` and reports each code."""

    on_code: Callable[[str], None] | None = None

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if not errors:
            return
        classified = [classify(error) for error in errors]
        result.errors = classified  # type: ignore[union-attr]
        codes = {str((error.extensions or {}).get("code")) for error in classified}
        response = getattr(self.execution_context.context, "response", None)
        if "SERVICE_UNAVAILABLE" in codes and response is not None:
            # The database is down: tell clients and load balancers to come back shortly.
            response.status_code = 503
            response.headers["Retry-After"] = "5"
        if ErrorCodes.on_code is not None:
            for code in codes:
                ErrorCodes.on_code(code)
