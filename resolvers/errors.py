"""Every GraphQL error leaves with a stable ``extensions.code``; internals never leave.

- :class:`graph.core.errors.TipgraphError` keeps its code and message;
- errors raised before execution (parse, validation, variable coercion) become
  ``BAD_USER_INPUT``;
- anything else is ``INTERNAL`` with a masked message (logged with the request id).

The HTTP view applies :func:`classify` to every result, so no path can skip it.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from graphql import GraphQLError

from graph.core.errors import TipgraphError

log = logging.getLogger("tipgraph.graphql")
MASKED_MESSAGE = "Internal error. Quote the request id to the operators."


def _with_code(error: GraphQLError, message: str, extensions: dict[str, Any]) -> GraphQLError:
    return GraphQLError(message, nodes=error.nodes, source=error.source,
                        positions=error.positions, path=error.path, extensions=extensions)


SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def classify(error: GraphQLError, *, hide_suggestions: bool = False) -> GraphQLError:
    """The error as clients may see it (idempotent: a coded error is returned as it is).

    ``hide_suggestions`` (production) drops graphql-core's "Did you mean ...?" hints, which
    would otherwise let a client map a schema whose introspection is off.
    """
    if hide_suggestions and "Did you mean" in error.message:
        error = GraphQLError(SUGGESTION.sub("", error.message), nodes=error.nodes,
                             source=error.source, positions=error.positions, path=error.path,
                             original_error=error.original_error, extensions=error.extensions)
    if (error.extensions or {}).get("code"):
        return error
    original = error.original_error
    if isinstance(original, TipgraphError):
        extensions: dict[str, Any] = {"code": original.code, **original.details}
        if original.field:
            extensions["field"] = original.field
        return _with_code(error, original.message, extensions)
    if original is None or error.path is None:
        # Raised before execution (syntax, validation, variable coercion): the request's fault.
        return _with_code(error, error.message, {"code": "BAD_USER_INPUT"})
    log.error("unexpected error in %s", ".".join(map(str, error.path)),
              exc_info=(type(original), original, original.__traceback__))
    return _with_code(error, MASKED_MESSAGE, {"code": "INTERNAL"})


def code_of(error: GraphQLError) -> str:
    return str((error.extensions or {}).get("code", "INTERNAL"))
