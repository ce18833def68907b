"""Operators can see what it does (issue #18, item 5): a span per GraphQL operation and per
CyberTipline-door request, a child span per Cypher statement named after it, and nothing a
report holds in any span."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from authz.roles import Role
from graph.core import tracing
from tests.conftest import Api, Tokens
from tests.cybertipline import REFERENCE_REPORT, Ispws
from tests.documents import EXAMPLE_INPUT, SUBMIT_REPORT

# what the reports below hold: none of it may appear in a span
PERSONAL = ["shadow_fox", "Alice@Example.COM", "alice@example.com", "415 555 0100",
            "4155550100", "203.0.113.7", "u-1001", "9e107d9d372bb6826bd81d3542a419d6",
            "img001.jpg", "63.116.246.17", "badsite.com", "mypic.jpg"]
READ = """query Triage { reports(first: 5) { edges { node { id
  identifiers { identifier { kind value } } files { fileName } } } } }"""


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with tracing.traced_by(provider):
        yield exporter


def _text(span: ReadableSpan) -> str:
    """Everything a span says: its name, attributes, events and status."""
    return json.dumps({"name": span.name, "attributes": dict(span.attributes or {}),
                       "events": [[e.name, dict(e.attributes or {})] for e in span.events],
                       "status": span.status.description}, default=str)


async def test_operations_and_statements_are_traced_without_report_content(
        spans: InMemorySpanExporter, api: Api, esp: str, tokens: Tokens,
        ispws: Ispws) -> None:
    submitted = await api.gql(SUBMIT_REPORT, {"input": EXAMPLE_INPUT, "key": "traced-1"},
                              token=esp)
    assert "errors" not in submitted, submitted
    assert (await ispws.submit(REFERENCE_REPORT)).code == 0
    analyst = tokens.mint(Role.ANALYST)
    for _ in range(2):  # the second time on the compiled read path
        read = await api.client.post("/graphql", json={"query": READ,
                                                        "operationName": "Triage"},
                                     headers={"Authorization": f"Bearer {analyst}"})
        assert "errors" not in read.json(), read.text
    finished = spans.get_finished_spans()

    operations = [s for s in finished if s.name == "graphql.operation"]
    assert len(operations) == 3
    assert {dict(s.attributes or {})["graphql.operation.name"]
            for s in operations} >= {"Triage"}
    [door] = [s for s in finished if s.name == "ispws POST /submit"]
    assert dict(door.attributes or {})["http.response.status_code"] == 200
    statements = [s for s in finished if s.attributes and s.attributes.get("db.system")]
    # a request's statements are children of its span, named after their constants (the
    # rest are the fixtures' and the background tasks', outside any request)
    parents = {s.context.span_id: s for s in [*operations, door]}
    served = [s for s in statements if s.parent is not None and s.parent.span_id in parents]
    created = [s for s in statements if s.name == "graph.reports.intake.writes:CREATE_REPORT"]
    assert len(created) == 2
    assert all(s in served for s in created)
    assert {parents[s.parent.span_id].name for s in served if s.parent} == {
        "graphql.operation", "ispws POST /submit"}
    assert all(":" in s.name or s.name.startswith("cypher ") for s in statements)
    # and nothing any report holds is in any span
    said = "\n".join(_text(s) for s in finished)
    for value in PERSONAL:
        assert value.lower() not in said.lower(), value


def test_export_is_off_unless_the_otel_variables_ask() -> None:
    assert tracing.configure({}) is False
    assert tracing.configure({"OTEL_SDK_DISABLED": "true",
                              "OTEL_TRACES_EXPORTER": "otlp"}) is False
