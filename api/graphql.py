"""The /graphql endpoint: strawberry's ASGI view with tipgraph's context and error bodies.

Transport-level refusals (bad JSON, an unsupported method, a mutation over GET) come back as
GraphQL-shaped JSON with ``extensions.code`` instead of strawberry's plain-text bodies.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, process_result
from strawberry.types import ExecutionResult

from api.settings import Settings
from graph.errors import TipgraphError, Unauthenticated
from resolvers.context import Context
from resolvers.errors import classify, code_of


def error_response(message: str, code: str, status: int,
                   headers: dict[str, str] | None = None) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return Response(json.dumps(body), status_code=status, media_type="application/json",
                    headers=headers)


GRAPHQL_RESPONSE = "application/graphql-response+json"


def wants_graphql_response(request: Request) -> bool:
    return GRAPHQL_RESPONSE in request.headers.get("accept", "")


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer`` header; raises for any other scheme."""
    if header is None or not header.strip():
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("use an Authorization: Bearer token")
    return token.strip()


class GraphQLApp(GraphQL[Context, None]):
    def __init__(self, settings: Settings,
                 on_error_code: Callable[[str], None] = lambda code: None,
                 *, audit: bool = True) -> None:
        from resolvers.schema import build_schema

        self.production = settings.production
        super().__init__(
            build_schema(production=self.production, limits=settings.edge,
                         page_cap=settings.max_page_size, audit=audit),
            graphql_ide=None if self.production else "graphiql",
            allow_queries_via_get=True,
        )
        self.on_error_code = on_error_code

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            response = await self.run(request)
        except HTTPException as error:
            status = 405 if "mutations are not allowed" in error.reason.lower() else (
                error.status_code)
            headers = {"Allow": "POST"} if status == 405 else None
            response = error_response(error.reason, "BAD_USER_INPUT", status, headers)
        await response(scope, receive, send)

    async def get_context(self, request: Request | WebSocket,
                          response: Response | WebSocket) -> Context:
        services = request.app.state.tipgraph.services
        principal, auth_error, token = None, None, None
        try:
            token = bearer_token(request.headers.get("authorization"))
            if token is not None:
                principal = await services.verifier.verify(token)
        except TipgraphError as error:
            # Unauthenticated, or ServiceUnavailable when revocations cannot be checked: kept
            # and raised where the principal is needed (building a context never fails).
            auth_error = error
        context = Context(
            request=request,  # type: ignore[arg-type]
            response=response if isinstance(response, Response) else None,
            services=services,
            token=token,
            principal=principal,
            auth_error=auth_error,
            request_id=request.scope.get("state", {}).get("request_id", "-"),
        )
        request.state.context = context
        return context

    async def process_result(self, request: Request,
                             result: ExecutionResult) -> GraphQLHTTPResponse:
        """Give every error its code; a database outage answers HTTP 503 with Retry-After.

        A client that accepts ``application/graphql-response+json`` (GraphQL over HTTP) gets
        that media type, and HTTP 400 without a ``data`` entry when the request itself failed.
        """
        context = getattr(request.state, "context", None)
        if result.errors:
            result.errors = [classify(error, hide_suggestions=self.production)
                             for error in result.errors]
            codes = {code_of(error) for error in result.errors}
            for code in codes:
                self.on_error_code(code)
            if "SERVICE_UNAVAILABLE" in codes and context and context.response is not None:
                context.response.status_code = 503
                context.response.headers["Retry-After"] = "5"
        answer = process_result(result)
        if wants_graphql_response(request) and context is not None:
            response = context.response
            if response is not None:
                response.media_type = GRAPHQL_RESPONSE
                if result.data is None and result.errors and all(
                        not error.path for error in result.errors):
                    # the request itself failed (parse, validation, variables): no data entry
                    answer.pop("data", None)
                    if response.status_code in (None, 200):
                        response.status_code = 400
        return answer

    def create_response(self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
                        sub_response: Response) -> Response:
        """strawberry's response, in the media type the client asked for."""
        response = super().create_response(response_data, sub_response)
        if sub_response.media_type == GRAPHQL_RESPONSE:
            response.headers["content-type"] = f"{GRAPHQL_RESPONSE}; charset=utf-8"
        return response
