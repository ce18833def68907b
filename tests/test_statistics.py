"""Published statistics: counts that match the graph within the documented protection, and a
protection that arithmetic across every table cannot undo (a linear-programming audit)."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import linprog

from api.settings import Settings, identifier_ids
from graph.core.db import Database, run
from graph.core.visibility import EVERY_REPORT
from graph.core.vocabulary import IncidentType
from graph.reports.reporters import register_reporter
from graph.statistics.cells import (
    DIMENSIONS,
    Protection,
    Table,
    aggregate,
    perturb,
    statistics,
)
from graph.triage.service import set_disposition
from tests.conftest import Api
from tests.helpers import intake as make_intake
from tests.helpers import tipgraph

PROTECTION = Protection(key=b"k" * 32, noise=3, threshold=10)


def rows(cells: dict[tuple[str, ...], int], offset: int = 0) -> list[dict[str, Any]]:
    """Fine-table rows of two dimensions A and B, with made-up record ids."""
    made, next_id = [], offset
    for (a, b), n in cells.items():
        made.append({"A": a, "B": b, "records": [str(next_id + i) for i in range(n)]})
        next_id += n
    return made


def test_each_fine_cell_is_off_by_at_most_min_d_n_and_the_same_records_the_same_noise() -> None:
    given = rows({("x", str(i)): n for i, n in enumerate([1, 2, 3, 4, 7, 30, 200] * 20)})
    fine = perturb(PROTECTION, "t", ("A", "B"), given)
    for cell in fine:
        assert abs(cell.perturbed - cell.true) <= min(3, cell.true)
        assert cell.perturbed >= 0
    assert perturb(PROTECTION, "t", ("A", "B"), given) == fine  # consistent
    assert any(c.perturbed != c.true for c in fine)
    # one record more or less: a fresh draw, not a known difference
    changed = [{**r, "records": [*r["records"], "extra"]} for r in given]
    assert [c.perturbed - c.true for c in perturb(PROTECTION, "t", ("A", "B"), changed)] != [
        c.perturbed - c.true for c in fine]
    # the noise is zero on average
    assert abs(np.mean([c.perturbed - c.true for c in fine if c.true >= 3])) < 0.5


def test_every_table_is_an_exact_sum_of_the_fine_table() -> None:
    fine = perturb(PROTECTION, "t", ("A", "B"), rows({("a", "1"): 4, ("a", "2"): 40,
                                                      ("b", "1"): 25, ("b", "2"): 1}))
    by_a, by_b = (aggregate(fine, 2026, [d], PROTECTION) for d in ("A", "B"))
    both = aggregate(fine, 2026, ["A", "B"], PROTECTION)
    assert by_a.total == by_b.total == both.total == sum(c.perturbed for c in fine)
    for table in (by_a, by_b, both):
        assert sum(c.count for c in table.cells) == table.total
        assert all(c.suppressed == (c.count < 10) for c in table.cells)
        assert all(c.count > 0 for c in table.cells)  # a cell summing to zero is not listed


STATISTICS = """
query($year: Int!, $by: [StatisticDimension!]!) {
  statistics(year: $year, by: $by) { year total threshold noise cells { keys { dimension value }
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


async def test_public_statistics_match_the_graph_within_the_protection(
        api: Api, db: Database) -> None:
    # given 14 + 3 submitted reports this year (and one open one): three fine cells, of 12
    # referred and 2 pending child-pornography reports and 3 pending enticement reports
    await load(db)
    year = datetime.now(UTC).year

    async def ask(by: list[str]) -> dict[str, Any]:
        response = await api.client.post("/graphql", json={"query": STATISTICS, "variables": {
            "year": year, "by": by}})
        table: dict[str, Any] = response.json()["data"]["statistics"]
        return table

    # when anyone, without a token, asks for them by incident type
    table = await ask(["INCIDENT_TYPE"])
    # then each count is the truth off by at most min(D, n) per fine cell, the small one is
    # suppressed, and every table has the same total
    assert table["noise"] == 3
    assert abs(table["total"] - 17) <= 3 + 2 + 3
    by_type = {c["keys"][0]["value"]: c for c in table["cells"]}
    # 3 is published as 0 to 6: always withheld (not listed when perturbed to 0)
    assert by_type.get("ONLINE_ENTICEMENT") in (None, {
        "keys": [{"dimension": "INCIDENT_TYPE", "value": "ONLINE_ENTICEMENT"}],
        "count": None, "suppressed": True})
    pornography = by_type["CHILD_PORNOGRAPHY"]
    assert pornography["suppressed"] or abs(pornography["count"] - 14) <= 3 + 2
    by_disposition = await ask(["DISPOSITION"])
    assert by_disposition["total"] == table["total"]
    assert await ask(["INCIDENT_TYPE"]) == table  # the same reports: the same answer
    published = [c["count"] for c in by_disposition["cells"] if not c["suppressed"]]
    assert all(c >= 10 for c in published)


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
    assert len(written) == 9  # 5 dimensions, incident type by month, outcomes, labels, matches
    assert any(path.endswith(f"{year}-referral_outcome.json") for path in written)
    assert any(path.endswith(f"{year}-labels_by_scheme_source_viewed.json") for path in written)
    text = await asyncio.to_thread((tmp_path / f"{year}-incident_type.json").read_text)
    table: dict[str, Any] = json.loads(text)
    # the files say what the API says: the same protection, keyed the same way
    served = await statistics(db, int(year), ["INCIDENT_TYPE"], Protection.derived(
        identifier_ids(settings).key, settings.reads.statistics_noise,
        settings.reads.statistics_threshold))
    assert table["total"] == served.published_total
    assert table["cells"] == served.as_rows()
    assert table["noise"] == 3
    csv_run = tipgraph(settings, "publish", "--year", year, "--format", "csv", "--out",
                       str(tmp_path))
    assert csv_run.returncode == 0
    month = await asyncio.to_thread((tmp_path / f"{year}-month.csv").read_text)
    assert month.startswith("MONTH,count,suppressed")


# -- the audit: every table of up to three dimensions, attacked with linear programming --------

COUNTRIES = ("US", "DE", "FR", "GB")
TYPES = (IncidentType.CHILD_PORNOGRAPHY, IncidentType.ONLINE_ENTICEMENT,
         IncidentType.CHILD_SEX_TOURISM)
MONTHS = (3, 6, 11, 12)


async def audit_world(db: Database) -> list[dict[str, str]]:
    """About 150 reports over every dimension, skewed so that tables of two and three
    dimensions are full of small cells; among them (DE, December) = 4."""
    rng = random.Random(7)
    intake = make_intake(db)
    for esp in ("esp-a", "esp-b", "esp-c"):
        await register_reporter(db, esp, esp.upper())
    planned = [("DE", 12)] * 4 + [(rng.choices(COUNTRIES, weights=(8, 1, 2, 2))[0],
                                   rng.choice(MONTHS)) for _ in range(146)]
    truth = []
    year = datetime.now(UTC).year
    for index, (country, month) in enumerate(planned):
        kind = rng.choices(TYPES, weights=(6, 3, 1))[0]
        esp = rng.choices(("esp-a", "esp-b", "esp-c"), weights=(5, 3, 1))[0]
        node = await intake.submit_report(esp, {"incident_type": kind,
                                                "incident_date_time": datetime(2026, 1, 5,
                                                                               tzinfo=UTC)})
        disposition = rng.choices(["PENDING", "REFERRAL", "INFORMATIONAL"], (4, 3, 2))[0]
        if disposition != "PENDING":
            await set_disposition(db, node["id"], disposition, reason="r", by="a",
                                  rows=EVERY_REPORT)
        truth.append({"id": node["id"], "INCIDENT_TYPE": kind.name, "COUNTRY": country,
                      "REPORTER": esp, "DISPOSITION": disposition, "MONTH": str(month),
                      "finishedAt": datetime(year, month, 1 + index % 27, tzinfo=UTC)})

    async def place_tx(tx: Any) -> None:
        await run(tx, """
            UNWIND $rows AS row
            MATCH (r:Report {id: row.id})
            SET r.finishedAt = row.finishedAt
            MERGE (j:Jurisdiction {code: row.COUNTRY})
              ON CREATE SET j.country = row.COUNTRY, j.name = row.COUNTRY, j.kind = 'COUNTRY'
            MERGE (r)-[:IN_JURISDICTION {basis: 'ANALYST_OVERRIDE'}]->(j)""", rows=truth)
    await db.write(place_tx)
    return [{k: str(v) for k, v in row.items() if k in DIMENSIONS} for row in truth]


def widths(tables: dict[tuple[str, ...], Table], truth: list[dict[str, str]], noise: int,
           threshold: int) -> list[tuple[float, tuple[str, ...], tuple[str, ...], int]]:
    """For every cell under the threshold of every table, the width of the range its true
    count can take given everything published (HiGHS), narrowest first."""
    from scipy.sparse import lil_matrix

    values = {d: sorted({row[d] for row in truth}) for d in DIMENSIONS}
    fine = list(itertools.product(*(values[d] for d in DIMENSIONS)))
    index = {keys: i for i, keys in enumerate(fine)}
    n = len(fine)  # variables: x (true) 0..n-1, y (perturbed) n..2n-1

    def members(dims: tuple[str, ...], key: tuple[str, ...]) -> list[int]:
        positions = [DIMENSIONS.index(d) for d in dims]
        return [i for keys, i in index.items()
                if tuple(keys[p] for p in positions) == key]

    equal_rows, equal_b, upper_rows, upper_b = [], [], [], []
    for i in range(n):  # |y - x| <= min(D, x): y - x <= D, x - y <= D, y <= 2x
        for coefficients, bound in (({n + i: 1, i: -1}, noise), ({i: 1, n + i: -1}, noise),
                                    ({n + i: 1, i: -2}, 0)):
            upper_rows.append(coefficients)
            upper_b.append(bound)
    protected = []
    for dims, table in tables.items():
        listed = {c.keys: c for c in table.cells}
        for key in itertools.product(*(values[d] for d in dims)):
            ys = {n + i: 1 for i in members(dims, key)}
            cell = listed.get(key)
            if cell is None:  # not listed: its perturbed count sums to zero
                equal_rows.append(ys)
                equal_b.append(0)
            elif cell.suppressed:  # listed, small: 1 to threshold - 1
                upper_rows.extend([ys, {k: -1 for k in ys}])
                upper_b.extend([threshold - 1, -1])
            else:
                equal_rows.append(ys)
                equal_b.append(cell.count)
            true = sum(1 for row in truth if tuple(row[d] for d in dims) == key)
            if 0 < true < threshold:
                protected.append((dims, key, true))
    total = next(iter(tables.values())).total
    equal_rows.append({n + i: 1 for i in range(n)})
    equal_b.append(total)

    def matrix(rows_: list[dict[int, int]]) -> Any:
        made = lil_matrix((len(rows_), 2 * n))
        for r, coefficients in enumerate(rows_):
            for c, v in coefficients.items():
                made[r, c] = v
        return made.tocsr()

    a_eq, a_ub = matrix(equal_rows), matrix(upper_rows)
    found = []
    for dims, key, true in protected:
        objective = np.zeros(2 * n)
        objective[members(dims, key)] = 1
        low = linprog(objective, A_ub=a_ub, b_ub=upper_b, A_eq=a_eq, b_eq=equal_b,
                      bounds=(0, None), method="highs")
        high = linprog(-objective, A_ub=a_ub, b_ub=upper_b, A_eq=a_eq, b_eq=equal_b,
                       bounds=(0, None), method="highs")
        assert low.status == 0, low.message
        assert high.status in (0, 3), high.message  # 3: unbounded
        width = float("inf") if high.status == 3 else -high.fun - low.fun
        found.append((width, dims, key, true))
    return sorted(found)


async def test_no_combination_of_tables_pins_a_small_cell(db: Database) -> None:
    truth = await audit_world(db)
    year = datetime.now(UTC).year
    every = [dims for size in (1, 2, 3) for dims in itertools.combinations(DIMENSIONS, size)]
    assert len(every) == 25

    async def published(protection: Protection) -> dict[tuple[str, ...], Table]:
        return {dims: await statistics(db, year, dims, protection) for dims in every}

    tables = await published(PROTECTION)
    found = await asyncio.to_thread(widths, tables, truth, PROTECTION.noise, 10)
    assert len(found) > 100  # most cells of three dimensions are small
    narrowest = found[0]
    assert narrowest[0] >= PROTECTION.noise - 1e-6, narrowest
    # among them the cell the old per-table suppression gave away
    [(width, *_)] = [f for f in found if f[1] == ("COUNTRY", "MONTH") and f[2] == ("DE", "12")]
    assert width >= PROTECTION.noise
    # and the audit has teeth: without noise, tables published whole pin small cells exactly
    exact = Protection(key=PROTECTION.key, noise=0, threshold=10)
    pinned = await asyncio.to_thread(widths, await published(exact), truth, 0, 10)
    assert pinned[0][0] < 1e-6, pinned[0]
