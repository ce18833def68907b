"""OpenTelemetry tracing: a span per GraphQL operation and per CyberTipline-door request (the
API opens them), and a child span per Cypher statement (:func:`statement_span`, from
``graph.core.db.run``).

**Nothing a report holds goes into a span.** A statement's span is named after the statement
(``graph.reports.intake.writes:CREATE_REPORT``, from the module constant whose text it is; a
statement built at run time is ``cypher <hash of its text>``); its parameters, where every
value a report holds travels, are never recorded, and neither is its text. Request spans carry
the route, the operation's type and name, and the status.

**Off by default.** Export is configured by the standard variables: ``OTEL_TRACES_EXPORTER=otlp``
or an ``OTEL_EXPORTER_OTLP_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` turns it on
(OTLP over HTTP, batched), ``OTEL_SERVICE_NAME`` and ``OTEL_RESOURCE_ATTRIBUTES`` name the
service, ``OTEL_SDK_DISABLED=true`` turns it off again. Without them every span is a no-op.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
from collections.abc import Iterator, Mapping
from typing import Any, Final

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Tracer, TracerProvider

SCOPE: Final = "tipgraph"
CYPHER_WORDS: Final = ("MATCH", "MERGE", "CREATE", "RETURN", "CALL", "UNWIND", "SHOW", "DROP")

_provider: list[TracerProvider] = []  # set by configure() or a test; else the global one
_names: dict[str, str] = {}
_scanned: set[str] = set()


def configure(environ: Mapping[str, str] | None = None) -> bool:
    """OTLP export when the OTEL_* variables ask for it (see the module); True if on."""
    env = os.environ if environ is None else environ
    if env.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    wanted = (env.get("OTEL_TRACES_EXPORTER", "").lower() == "otlp"
              or env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
              or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
    if not wanted or _provider:
        return bool(_provider)
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider as SdkProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = SdkProvider(resource=Resource.create({"service.name": env.get(
        "OTEL_SERVICE_NAME", "tipgraph")}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    _provider.append(provider)
    return True


@contextlib.contextmanager
def traced_by(provider: TracerProvider) -> Iterator[None]:
    """Spans go to ``provider`` inside the block (tests: an in-memory exporter)."""
    _provider.append(provider)
    try:
        yield
    finally:
        _provider.remove(provider)


def tracer() -> Tracer:
    provider = _provider[-1] if _provider else trace.get_tracer_provider()
    return provider.get_tracer(SCOPE)


def statement_name(query: str) -> str:
    """The name of the module constant whose text ``query`` is, or ``cypher <hash>``."""
    name = _names.get(query)
    if name is None:
        _scan()
        name = _names.get(query)
    if name is None:
        name = _names[query] = "cypher " + hashlib.sha256(query.encode()).hexdigest()[:12]
    return name


def _scan() -> None:
    """Learns the names of the statements the loaded ``graph`` modules define."""
    for module_name, module in list(sys.modules.items()):
        if not module_name.startswith("graph.") or module_name in _scanned or module is None:
            continue
        _scanned.add(module_name)
        for attribute, value in vars(module).items():
            if (attribute.isupper() and isinstance(value, str)
                    and any(word in value for word in CYPHER_WORDS)):
                _names.setdefault(value, f"{module_name}:{attribute}")


@contextlib.contextmanager
def statement_span(query: str) -> Iterator[None]:
    """A child span for one Cypher statement: its name only (see the module)."""
    current = trace.get_current_span()
    if not current.get_span_context().is_valid and not _provider:
        yield  # nothing is being traced: no span, no name lookup
        return
    with tracer().start_as_current_span(statement_name(query), kind=SpanKind.CLIENT,
                                        attributes={"db.system": "neo4j"}):
        yield


@contextlib.contextmanager
def request_span(name: str, attributes: dict[str, Any]) -> Iterator[Span]:
    """The span of one request (a GraphQL operation, a CyberTipline-door call)."""
    with tracer().start_as_current_span(name, kind=SpanKind.SERVER,
                                        attributes=attributes) as span:
        yield span
