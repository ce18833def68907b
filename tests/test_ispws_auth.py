"""The CyberTipline door's HTTP Basic: wrong passwords are throttled, and cost little memory.

Before: 30 wrong passwords in a row got 401 with no delay, and concurrent wrong attempts grew
the API from 122 MiB to 506 MiB (argon2's memory per attempt, all at once).
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import httpx

from api.settings import Settings
from authz.basic import issue_credentials
from bench.harness import rss_mib, served_api
from graph.core.db import Database
from graph.reports.reporters import register_reporter
from tests.conftest import Api
from tests.helpers import IDENTIFIER_KEY

STATUS = "/ispws/status"


async def test_wrong_passwords_are_throttled_per_username(api: Api, db: Database) -> None:
    # given an ESP with credentials
    await register_reporter(db, "esp-t", "T")
    username, _ = await issue_credentials(db, "esp-t")
    # when five wrong passwords come in a row
    for _ in range(5):
        wrong = await api.client.get(STATUS, auth=(username, "wrong"))
        assert wrong.status_code == 401
        assert "<responseCode>2000</responseCode>" in wrong.text
    # then the sixth is refused at once, with code 1000 and Retry-After
    throttled = await api.client.get(STATUS, auth=(username, "wrong"))
    assert throttled.status_code == 429
    assert "<responseCode>1000</responseCode>" in throttled.text
    assert 1 <= int(throttled.headers["Retry-After"]) <= 60


async def test_an_esps_concurrent_first_requests_all_pass(api: Api, db: Database) -> None:
    """An integration that starts eight workers at once: one check serves them all (one
    attempt, one hash), none is throttled."""
    await register_reporter(db, "esp-c", "C")
    username, password = await issue_credentials(db, "esp-c")
    answers = await asyncio.gather(*(api.client.get(STATUS, auth=(username, password))
                                     for _ in range(8)))
    assert [a.status_code for a in answers] == [200] * 8


def test_concurrent_wrong_attempts_cost_at_most_50_mib(settings: Settings,
                                                       session_db: Database,
                                                       tmp_path: Path) -> None:
    env = {"TIPGRAPH_NEO4J_URI": settings.neo4j_uri, "TIPGRAPH_STATE_DIR": str(tmp_path),
           "TIPGRAPH_IDENTIFIER_KEY": IDENTIFIER_KEY, "TIPGRAPH_ENRICHMENT_WORKER": "false",
           "TIPGRAPH_SWEEP_SECONDS": "0", "TIPGRAPH_EVENT_NUMBERING_SECONDS": "0"}
    with served_api(env, tmp_path / "serve.log") as server:
        # given the API at rest
        with httpx.Client(base_url=server.url) as warm:
            warm.get(STATUS, auth=("warm-up", "wrong"))
        baseline = rss_mib(server.pid)
        peak = baseline
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, rss_mib(server.pid))
                time.sleep(0.01)

        sampler = threading.Thread(target=sample)
        sampler.start()

        # when 100 wrong attempts arrive at once, for 100 usernames
        async def burst() -> list[int]:
            async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
                responses = await asyncio.gather(*(
                    client.get(STATUS, auth=(f"esp-{i}", "wrong")) for i in range(100)))
            return [r.status_code for r in responses]

        statuses = asyncio.run(burst())
        done.set()
        sampler.join()
    # then every one is refused (most at once, by the address's throttle), and the process
    # grew by at most 50 MiB
    assert set(statuses) <= {401, 429}
    assert statuses.count(429) >= 75
    print(f"RSS baseline {baseline:.0f} MiB, peak {peak:.0f} MiB, statuses {sorted(set(statuses))}")
    assert peak - baseline <= 50, (baseline, peak)
