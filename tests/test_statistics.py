"""Published statistics: counts that match the graph, and suppression that cannot be undone."""

from __future__ import annotations

import asyncio
import json
import random
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from api.settings import Settings
from graph.core.db import Database
from graph.core.visibility import EVERY_REPORT
from graph.core.vocabulary import IncidentType
from graph.reports.reporters import register_reporter
from graph.statistics.cells import Cell, suppress
from graph.triage.service import set_disposition
from tests.conftest import Api
from tests.helpers import intake as make_intake
from tests.helpers import tipgraph


def cells(table: dict[tuple[str, ...], int]) -> list[Cell]:
    return [Cell(keys=k, count=n) for k, n in table.items()]


def hidden(result: list[Cell]) -> set[tuple[str, ...]]:
    return {c.keys for c in result if c.suppressed}


def test_a_lone_small_cell_takes_the_next_smallest_with_it() -> None:
    result = suppress(cells({("A",): 50, ("B",): 3, ("C",): 40}), threshold=10, dimensions=1)
    assert hidden(result) == {("B",), ("C",)}


def test_small_cells_that_add_up_to_a_small_number_take_another() -> None:
    result = suppress(cells({("A",): 100, ("B",): 2, ("C",): 3, ("D",): 50}), 10, 1)
    assert hidden(result) == {("B",), ("C",), ("D",)}


def test_nothing_is_suppressed_when_nothing_is_small() -> None:
    assert hidden(suppress(cells({("A",): 10, ("B",): 11}), 10, 1)) == set()


def test_two_dimensions_protect_every_row_and_column() -> None:
    table: dict[tuple[str, ...], int] = {("US", "X"): 3, ("US", "Y"): 50, ("GB", "X"): 40,
                                         ("GB", "Y"): 60}
    result = suppress(cells(table), 10, 2)
    assert ("US", "X") in hidden(result)
    assert_protected(result, 10, 2)


def assert_protected(result: list[Cell], threshold: int, dimensions: int) -> None:
    """No suppressed cell can be recovered from the total or from any one-smaller margin."""
    for dropped in [None, *range(dimensions)]:
        groups: dict[tuple[str, ...], list[Cell]] = defaultdict(list)
        for cell in result:
            margin = () if dropped is None else cell.keys[:dropped] + cell.keys[dropped + 1:]
            groups[margin].append(cell)
        for group in groups.values():
            secret = [c for c in group if c.suppressed]
            if secret and len(secret) < len(group):
                assert len(secret) >= 2, group
                assert sum(c.count for c in secret) >= threshold, group
    for cell in result:
        assert cell.suppressed or cell.count >= threshold


@pytest.mark.parametrize("seed", range(25))
def test_random_tables_are_always_protected(seed: int) -> None:
    rng = random.Random(seed)
    dimensions = rng.choice([1, 2, 3])
    values = [["a", "b", "c", "d"][: rng.randint(2, 4)] for _ in range(dimensions)]
    table: dict[tuple[str, ...], int] = {}
    for _ in range(rng.randint(2, 30)):
        table[tuple(rng.choice(v) for v in values)] = rng.choice(
            [rng.randint(1, 9), rng.randint(10, 200)])
    assert_protected(suppress(cells(table), 10, dimensions), 10, dimensions)


STATISTICS = """
query($year: Int!, $by: [StatisticDimension!]!) {
  statistics(year: $year, by: $by) { year total threshold cells { keys { dimension value }
    count suppressed } } }
"""


async def load(db: Database) -> None:
    intake = make_intake(db)
    await register_reporter(db, "esp-a", "A")
    document = {"incident_type": IncidentType.CHILD_PORNOGRAPHY,
                "incident_date_time": datetime(2026, 1, 5, tzinfo=UTC)}
    for i in range(14):
        node = await intake.submit_report("esp-a", document)
        if i < 12:
            await set_disposition(db, node["id"], "REFERRAL", reason="r", by="a",
                                  rows=EVERY_REPORT)
    for _ in range(3):
        await intake.submit_report("esp-a", {**document,
                                             "incident_type": IncidentType.ONLINE_ENTICEMENT})
    await intake.open_report("esp-a", document)  # not submitted: not counted


async def test_public_statistics_match_the_graph_with_small_cells_suppressed(
        api: Api, db: Database) -> None:
    # given 14 + 3 submitted reports this year (and one open one)
    await load(db)
    year = datetime.now(UTC).year
    # when anyone, without a token, asks for them by incident type
    response = await api.client.post("/graphql", json={"query": STATISTICS, "variables": {
        "year": year, "by": ["INCIDENT_TYPE"]}})
    table = response.json()["data"]["statistics"]
    # then the total is right, the small cell is suppressed, and so is its complement
    assert table["total"] == 17
    by_type = {c["keys"][0]["value"]: c for c in table["cells"]}
    assert by_type["ONLINE_ENTICEMENT"] == {
        "keys": [{"dimension": "INCIDENT_TYPE", "value": "ONLINE_ENTICEMENT"}],
        "count": None, "suppressed": True}
    assert by_type["CHILD_PORNOGRAPHY"]["suppressed"] is True
    # and by disposition: 12 referrals shown; 5 pending is small, and takes the 12 with it
    response = await api.client.post("/graphql", json={"query": STATISTICS, "variables": {
        "year": year, "by": ["DISPOSITION"]}})
    cells_ = {c["keys"][0]["value"]: c for c in response.json()["data"]["statistics"]["cells"]}
    assert cells_["PENDING"]["suppressed"] is True
    assert cells_["REFERRAL"]["suppressed"] is True


async def test_a_bad_year_or_dimension_is_bad_input(api: Api, db: Database) -> None:
    body = (await api.client.post("/graphql", json={"query": STATISTICS, "variables": {
        "year": 1999, "by": ["MONTH"]}})).json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    body = (await api.client.post("/graphql", json={"query": STATISTICS, "variables": {
        "year": 2026, "by": ["SHOE_SIZE"]}})).json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_publish_writes_the_same_tables(db: Database, settings: Settings,
                                              tmp_path: Path) -> None:
    await load(db)
    year = str(datetime.now(UTC).year)
    result = tipgraph(settings, "publish", "--year", year, "--format", "json", "--out",
                      str(tmp_path))
    assert result.returncode == 0, result.stderr
    written: list[str] = json.loads(result.stdout)["written"]
    assert len(written) == 7  # five dimensions, incident type by month, referral outcomes
    assert any(path.endswith(f"{year}-referral_outcome.json") for path in written)
    text = await asyncio.to_thread((tmp_path / f"{year}-incident_type.json").read_text)
    table: dict[str, Any] = json.loads(text)
    assert table["total"] == 17
    assert {c["INCIDENT_TYPE"]: c["suppressed"] for c in table["cells"]} == {
        "CHILD_PORNOGRAPHY": True, "ONLINE_ENTICEMENT": True}
    csv_run = tipgraph(settings, "publish", "--year", year, "--format", "csv", "--out",
                       str(tmp_path))
    assert csv_run.returncode == 0
    month = await asyncio.to_thread((tmp_path / f"{year}-month.csv").read_text)
    assert month.startswith("MONTH,count,suppressed")
