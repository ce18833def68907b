"""Specification: GraphiQL, served from the package, offline. Driven in headless Chromium
(Debian's, by playwright-core); a screenshot is kept under tests/artifacts/. (The explorer is
the workspace's graph view now: tests/test_workspace.py.)"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from typing import Any

import httpx
import pytest

from api.settings import PROJECT_ROOT
from authz.roles import Role
from graph.core.db import Database
from graph.reports.reporters import register_reporter
from tests.conftest import Api, Tokens
from tests.documents import SUBMIT_REPORT

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
NODE = shutil.which("node")
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"


def report(**person: Any) -> dict[str, Any]:
    return {"incidentType": "ONLINE_ENTICEMENT", "incidentDateTime": "2026-10-01T08:00:00Z",
            "reportedPeople": [{"espService": "ExampleChat", **person}]}


def test_graphiql_is_served_from_the_package(served: str) -> None:
    page = httpx.get(f"{served}/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "connect-src 'self'" in policy
    # every file the page loads is tipgraph's own, and each is served
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert [a for a in assets if not a.startswith(("/graphiql/", "data:"))] == []
    for asset in assets:
        if asset.startswith("/graphiql/"):
            served_asset = httpx.get(f"{served}{asset}")
            assert served_asset.status_code == 200, asset
    script = httpx.get(f"{served}/graphiql/start.js").text
    assert "shouldPersistHeaders: false" in script
    assert httpx.get(f"{served}/graphiql/../app.py").status_code == 404


@pytest.mark.skipif(NODE is None or not os.path.exists(CHROMIUM),
                    reason="Node.js and Debian's chromium (make install) are needed")
async def test_graphiql_loads_offline_runs_the_example_and_keeps_no_token(
        served: str, api: Api, db: Database, tokens: Tokens) -> None:
    await register_reporter(db, "example-esp", "Example ESP")
    body = await api.gql(SUBMIT_REPORT, {"input": report(screenName="s9")},
                         token=tokens.esp("example-esp"))
    assert "errors" not in body, body
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "graphiql.png"
    screenshot.unlink(missing_ok=True)
    token = tokens.mint(Role.ANALYST)
    assert NODE is not None
    result = subprocess.run(  # noqa: ASYNC221 - the browser drives the server, not this loop
        [NODE, str(PROJECT_ROOT / "tests" / "node" / "graphiql.mjs"), served, token,
         str(screenshot)],
        capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT, check=False,
        env={**os.environ, "CHROMIUM": CHROMIUM})
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    # nothing asked of any host but tipgraph, nothing failed, no script error
    assert [u for u in seen["requested"] if not u.startswith(served)] == []
    assert seen["failed"] == []
    assert seen["problems"] == []
    # it opens on tipgraph's example, which says how to send a token, and runs it
    assert "query TriageQueue" in seen["document"]
    assert "Authorization" in seen["document"]
    assert seen["result"]["data"]["reports"]["totalCount"] == 1
    # and the token is kept nowhere but the tab's memory
    assert seen["tokenStored"] is False
    assert seen["storageKeys"] == []
    assert screenshot.stat().st_size > 10_000
