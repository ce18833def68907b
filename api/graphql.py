"""The /graphql endpoint: strawberry's ASGI view with tipgraph's context and error bodies.

Transport-level refusals (bad JSON, an unsupported method, a mutation over GET) come back as
GraphQL-shaped JSON with ``extensions.code`` instead of strawberry's plain-text bodies.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
from cross_web import HTTPException
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError, MissingQueryError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData, process_result
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from api.settings import Settings
from graph.core.errors import TipgraphError, Unauthenticated
from graph.core.tracing import request_span
from resolvers.compiled import CompiledReads
from resolvers.context import Context
from resolvers.errors import classify, code_of


def error_response(message: str, code: str, status: int,
                   headers: dict[str, str] | None = None) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return Response(json.dumps(body), status_code=status, media_type="application/json",
                    headers=headers)


GRAPHQL_RESPONSE = "application/graphql-response+json"
GRAPHIQL = Path(__file__).resolve().parent / "static" / "graphiql.html"


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


def _error_order(error: GraphQLError) -> tuple[list[str], str]:
    return [str(key) for key in error.path or ()], error.message


class GraphQLApp(GraphQL[Context, None]):
    def __init__(self, settings: Settings,
                 on_error_code: Callable[[str], None] = lambda code: None,
                 *, audit: bool = True,
                 on_path: Callable[[str, str | None], None] = lambda path, name: None) -> None:
        from resolvers.schema import build_schema

        self.production = settings.production
        schema = build_schema(production=self.production, limits=settings.edge,
                              page_cap=settings.reads.max_page_size, audit=audit)
        super().__init__(
            schema,
            graphql_ide=None if self.production else "graphiql",
            allow_queries_via_get=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=10),
            max_subscriptions_per_connection=settings.max_subscriptions,
        )
        self.on_error_code = on_error_code
        # the compiled read path writes the audit event itself (audit=False: the benchmark
        # of the trail's cost, on both paths)
        self.compiled = CompiledReads(schema._schema, on_path, audit=audit) if (
            settings.compiled_reads) else None

    async def render_graphql_ide(self, request: Request) -> Response:
        """GraphiQL from the package (api/static/graphiql.html): no other host is asked for
        anything, and the browser is told so (the Content-Security-Policy)."""
        return HTMLResponse(GRAPHIQL.read_text(), headers={"Content-Security-Policy": (
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; font-src 'self' data:; connect-src 'self'")})

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

    def encode_json(self, data: object) -> str:
        """orjson: a 50-report page is several times faster to encode than with ``json``.
        The same JSON (UTF-8 rather than ``\\u`` escapes); what orjson refuses (an integer
        beyond 64 bits) goes through ``json``. A string, not bytes: strawberry sends bytes
        over a WebSocket as binary frames, which graphql-transport-ws clients do not read."""
        try:
            return orjson.dumps(data).decode()
        except orjson.JSONEncodeError:
            return json.dumps(data, separators=(",", ":"))

    def decode_json(self, data: str | bytes) -> object:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:  # json's reading (and its error) for what orjson refuses
            return json.loads(data)

    def parse_json(self, data: str | bytes) -> Any:
        """The body must be a request object or a list of them, each with a string ``query``
        (or a persisted-query extension), object ``variables`` and string ``operationName``;
        anything else is a BAD_USER_INPUT before strawberry reads it."""
        parsed = super().parse_json(data)
        if parsed == []:
            raise HTTPException(400, "An empty batch: send at least one request.")
        for item in parsed if isinstance(parsed, list) else [parsed]:
            if not isinstance(item, dict):
                raise HTTPException(400, "The body must be a JSON object (or a list of them) "
                                         "with query, variables and operationName.")
            for key, kinds in (("query", (str,)), ("variables", (dict,)),
                               ("operationName", (str,)), ("extensions", (dict,))):
                if item.get(key) is not None and not isinstance(item[key], kinds):
                    raise HTTPException(400, f"The GraphQL request's `{key}` must be "
                                             f"{'an object' if dict in kinds else 'a string'}.")
        return parsed

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

    async def execute_operation(self, request: Request, request_adapter: Any,
                                request_data: Any, context: Context, root_value: None,
                                sub_response: Response) -> Any:
        """strawberry's; a batch's operations share one context, so none of them is compiled
        (a compiled read that falls back resets the context it shares)."""
        if isinstance(request_data, list):
            request.state.batched = True
        return await super().execute_operation(request, request_adapter, request_data,
                                               context, root_value, sub_response)

    async def execute_single(self, request: Request, request_adapter: Any,
                             sub_response: Response, context: Context, root_value: None,
                             request_data: GraphQLRequestData) -> ExecutionResult:
        """strawberry's, without subscriptions: they are served over graphql-transport-ws; in
        a span of its own (the operation's name, never its variables)."""
        with request_span("graphql.operation", {
                "graphql.operation.name": (request_data.operation_name or "")[:64]}) as span:
            result = await self._execute_single(request, request_adapter, sub_response,
                                                context, root_value, request_data)
            span.set_attribute("graphql.errors", len(result.errors or ()))
            return result

    async def _execute_single(self, request: Request, request_adapter: Any,
                              sub_response: Response, context: Context, root_value: None,
                              request_data: GraphQLRequestData) -> ExecutionResult:
        allowed = OperationType.from_http(request_adapter.method) - {OperationType.SUBSCRIPTION}
        if (self.compiled is not None and not request_data.extensions
                and not getattr(request.state, "batched", False)):
            compiled = await self.compiled.execute(context, request_data.query,
                                                   request_data.operation_name,
                                                   request_data.variables)
            if compiled is not None:
                return compiled
        try:
            result = await self.schema.execute(
                request_data.query, root_value=root_value,
                variable_values=request_data.variables, context_value=context,
                operation_name=request_data.operation_name, allowed_operation_types=allowed,
                operation_extensions=request_data.extensions)
        except InvalidOperationTypeError as error:
            if error.operation_type is OperationType.SUBSCRIPTION:
                raise HTTPException(400, "subscriptions are served over WebSocket "
                                         "(graphql-transport-ws) at this path") from error
            raise HTTPException(400, error.as_http_error_reason(request_adapter.method)) from error
        except CannotGetOperationTypeError as error:
            raise HTTPException(400, error.as_http_error_reason()) from error
        except MissingQueryError as error:
            raise HTTPException(400, "No GraphQL query found in the request") from error
        if self.compiled is not None:
            self.compiled.learn(request_data.query, result)
        return result

    async def on_ws_connect(self, context: Context) -> dict[str, object]:
        """graphql-transport-ws ``connection_init``: the token travels in its payload
        (``{"Authorization": "Bearer <jwt>"}``, as browsers cannot set WebSocket headers) or in
        the handshake's Authorization header. A refused token closes the socket (4403)."""
        params = context.connection_params or {}
        raw = params.get("Authorization", params.get("authorization"))
        try:
            if raw is not None and not isinstance(raw, str):
                raise Unauthenticated("Authorization must be a string")
            token = bearer_token(raw) if raw is not None else context.token
            if token is None:
                raise Unauthenticated("send connection_init with {\"Authorization\": "
                                      "\"Bearer <token>\"}")
            if context.auth_error is not None and raw is None:
                raise context.auth_error
            principal = await context.services.verifier.verify(token)
        except TipgraphError as error:
            raise ConnectionRejectionError({"code": error.code,
                                            "message": error.message}) from None
        context.token, context.principal, context.auth_error = token, principal, None
        context.fresh_loaders()
        return {"subject": principal.subject, "role": principal.role.value}

    async def process_result(self, request: Request,
                             result: ExecutionResult) -> GraphQLHTTPResponse:
        """Give every error its code; a database outage answers HTTP 503 with Retry-After.

        A client that accepts ``application/graphql-response+json`` (GraphQL over HTTP) gets
        that media type, and HTTP 400 without a ``data`` entry when the request itself failed.
        """
        context = getattr(request.state, "context", None)
        if result.errors:
            # In path order: resolvers finish in any order, an answer should not.
            result.errors = sorted((classify(error, hide_suggestions=self.production)
                                    for error in result.errors), key=_error_order)
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
