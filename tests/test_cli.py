"""The `tipgraph` command, run as a user would, against the test Neo4j."""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from api.settings import PROJECT_ROOT, Settings
from authz.basic import EspCredentials
from authz.roles import Role
from authz.tokens import TokenVerifier, load_keys
from bench.harness import served_api
from graph.core.db import Database
from tests.conftest import Tokens
from tests.helpers import IDENTIFIER_KEY, tipgraph

SERVER_STATE = PROJECT_ROOT / ".tipgraph"


async def test_token_mint_prints_only_a_valid_token(settings: Settings) -> None:
    result = tipgraph(settings, "token", "mint", "--role", "esp", "--esp-id", "example-esp",
                      "--ttl", "600")
    assert result.returncode == 0, result.stderr
    [line] = result.stdout.splitlines()
    principal = await TokenVerifier(load_keys(settings.tokens), settings.tokens).verify(line)
    assert principal.esp_id == "example-esp"


def test_token_mint_refuses_an_esp_token_without_an_esp(settings: Settings) -> None:
    result = tipgraph(settings, "token", "mint", "--role", "esp")
    assert result.returncode == 1
    assert "--esp-id" in result.stderr


async def test_esp_create_is_idempotent_and_prints_json(settings: Settings, db: Database) -> None:
    first = tipgraph(settings, "esp", "create", "--id", "cli-esp", "--name", "CLI ESP")
    second = tipgraph(settings, "esp", "create", "--id", "cli-esp", "--name", "CLI ESP")
    assert first.returncode == 0, first.stderr
    created, again = json.loads(first.stdout), json.loads(second.stdout)
    assert created["id"] == "cli-esp"
    assert created["username"] == "cli-esp"
    # the password is printed once; a second run neither shows nor changes it
    password = created.pop("password")
    created.pop("note")
    assert "password" not in again
    assert created == again
    credentials = EspCredentials(db)
    assert await credentials.verify("cli-esp", password) == "cli-esp"
    # --new-password: a new one works, the old one no longer does
    renewed = json.loads(tipgraph(settings, "esp", "create", "--id", "cli-esp", "--name",
                                  "CLI ESP", "--new-password").stdout)
    assert await EspCredentials(db).verify("cli-esp", renewed["password"]) == "cli-esp"
    assert await EspCredentials(db).verify("cli-esp", password) is None


async def test_esp_create_refuses_a_bad_id(settings: Settings, db: Database) -> None:
    result = tipgraph(settings, "esp", "create", "--id", "bad id!", "--name", "x")
    assert result.returncode == 1
    assert "ESP id" in result.stderr
    assert "Traceback" not in result.stderr


async def test_migrate_is_a_no_op_when_current(settings: Settings, db: Database) -> None:
    result = tipgraph(settings, "migrate")
    assert json.loads(result.stdout) == {"applied": []}


@pytest.mark.skipif("TIPGRAPH_NEO4J_URI" in os.environ,
                    reason="the server was not started by this test session")
def test_neo4j_status_and_start_are_no_ops_on_a_running_server(settings: Settings) -> None:
    port = str(urlsplit(settings.neo4j_uri).port)
    # the session's server was started under the repository's state folder
    status = tipgraph(settings, "neo4j", "status", "--port", port, state_dir=SERVER_STATE)
    assert json.loads(status.stdout)["running"] is True
    again = tipgraph(settings, "neo4j", "start", "--port", port, state_dir=SERVER_STATE)
    assert again.stdout.strip() == settings.neo4j_uri


def test_neo4j_status_of_a_stopped_port(settings: Settings, tmp_path: Path) -> None:
    from graph.core.server import free_port

    result = tipgraph(settings, "neo4j", "status", "--port", str(free_port()))
    assert result.returncode == 3
    assert json.loads(result.stdout)["running"] is False


def _children(pid: int) -> dict[int, str]:
    """The child processes of ``pid``: their pids and command lines."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found[int(stat.parent.name)] = (stat.parent / "cmdline").read_bytes().decode(
                    errors="replace")
    return found


def _alive(pid: int) -> bool:
    with contextlib.suppress(OSError, IndexError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return False


def test_serve_runs_several_workers_and_stops_them(settings: Settings, tmp_path: Path,
                                                   tokens: Tokens) -> None:
    env = {"TIPGRAPH_NEO4J_URI": settings.neo4j_uri,
           "TIPGRAPH_STATE_DIR": str(settings.state_dir),
           "TIPGRAPH_IDENTIFIER_KEY": IDENTIFIER_KEY, "TIPGRAPH_ENRICHMENT_WORKER": "false",
           "TIPGRAPH_SWEEP_SECONDS": "0", "TIPGRAPH_EVENT_NUMBERING_SECONDS": "0"}
    with served_api(env, tmp_path / "serve.log", workers=2) as api:
        workers = [pid for pid, line in _children(api.pid).items() if "spawn_main" in line]
        assert len(workers) == 2, _children(api.pid)
        for _ in range(4):
            answer = httpx.post(f"{api.url}/graphql", json={"query": "{ reports { totalCount } }"},
                                headers={"Authorization": f"Bearer {tokens.mint(Role.ANALYST)}"},
                                timeout=30)
            assert answer.json()["data"]["reports"]["totalCount"] >= 0
    deadline = time.monotonic() + 15
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in workers), "the workers stop with the server"


def test_serve_refuses_zero_workers(settings: Settings) -> None:
    result = tipgraph(settings, "serve", "--workers", "0")
    assert result.returncode == 1
    assert "--workers" in result.stderr


def test_a_benchmark_server_ignores_the_callers_token_settings(
        settings: Settings, session_db: Database, tokens: Tokens, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`make bench-quick` with TIPGRAPH_JWT_* in the environment: a benchmark (or test) mints
    with its own keys, and the API it starts must verify with those, not with the caller's."""
    monkeypatch.setenv("TIPGRAPH_JWT_ISSUER", "someone-elses-issuer")
    monkeypatch.setenv("TIPGRAPH_JWT_PUBLIC_KEY_FILE", str(tmp_path / "not-the-bench-key.pem"))
    env = {"TIPGRAPH_NEO4J_URI": settings.neo4j_uri,
           "TIPGRAPH_STATE_DIR": str(settings.state_dir),
           "TIPGRAPH_IDENTIFIER_KEY": IDENTIFIER_KEY, "TIPGRAPH_ENRICHMENT_WORKER": "false"}
    with served_api(env, tmp_path / "serve.log") as api:
        answer = httpx.post(f"{api.url}/graphql", json={"query": "{ __typename }"},
                            headers={"Authorization": f"Bearer {tokens.mint(Role.ANALYST)}"},
                            timeout=10)
    assert answer.status_code == 200, answer.text
    assert "errors" not in answer.json(), answer.json()
