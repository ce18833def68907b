"""The container image is complete (issue #18, item 4).

``docker compose up --build`` cannot run on these machines, so this builds the file tree the
image gets: the Dockerfile's ``pip install .``, i.e. a wheel installed into a fresh virtualenv,
run from a folder that is not the repository (no ``node_modules``, no sources beside it), with
the image's ``TIPGRAPH_MIGRATIONS_DIR``. It serves the workspace and GraphiQL from that tree.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import httpx
import pytest

from api.settings import PROJECT_ROOT, Settings
from bench.harness import running
from graph.core.server import free_port
from tests.helpers import IDENTIFIER_KEY

VENDORED = PROJECT_ROOT / "api" / "static" / "vendor"
WORKSPACE = PROJECT_ROOT / "api" / "static" / "workspace"


GRAPHIQL = {"graphiql.min.js": "graphiql/graphiql.min.js",
            "graphiql.min.css": "graphiql/graphiql.min.css",
            "react.production.min.js": "react/umd/react.production.min.js",
            "react-dom.production.min.js": "react-dom/umd/react-dom.production.min.js"}


@pytest.mark.parametrize("name", sorted(GRAPHIQL))
def test_the_vendored_graphiql_files_are_the_ones_npm_pins(name: str) -> None:
    npm_copy = PROJECT_ROOT / "node_modules" / GRAPHIQL[name]
    if not npm_copy.exists():
        pytest.skip("node_modules is not installed (make install)")
    vendored = VENDORED / "graphiql" / name
    assert vendored.read_bytes() == npm_copy.read_bytes(), (
        f"api/static/vendor/graphiql/{name} differs from the npm-pinned copy; copy it over")
    assert (vendored.parent / f"{name.split('.')[0]}.LICENSE").exists()


def _run(*command: str, cwd: Path) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600,
                          check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def test_an_installed_wheel_serves_the_workspace_and_graphiql(settings: Settings,
                                                                tmp_path: Path) -> None:
    # the wheel the image's `pip install .` builds (in an isolated build, as there)
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
         "-w", str(tmp_path / "dist"), str(PROJECT_ROOT), cwd=tmp_path)
    [wheel] = (tmp_path / "dist").glob("tipgraph-*.whl")
    # a fresh virtualenv; its dependencies are this one's (added after its own site-packages,
    # so tipgraph itself comes from the wheel, not from the checkout)
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", str(venv), cwd=tmp_path)
    python = venv / "bin" / "python"
    fresh_site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True).stdout.strip()
    (Path(fresh_site) / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run(sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q",
         str(wheel), cwd=tmp_path)
    where = subprocess.run([str(python), "-c", "import api; print(api.__file__)"],
                           capture_output=True, text=True, check=True, cwd=tmp_path)
    assert where.stdout.startswith(fresh_site), where.stdout

    # served as the image serves it, from a folder with nothing of the repository in it
    home = tmp_path / "app"
    home.mkdir()
    port = free_port()
    env = {"HOME": str(home),
           "TIPGRAPH_NEO4J_URI": settings.neo4j_uri, "TIPGRAPH_STATE_DIR": str(home / "state"),
           "TIPGRAPH_IDENTIFIER_KEY": IDENTIFIER_KEY,
           # as the image's /app/migrations
           "TIPGRAPH_MIGRATIONS_DIR": str(PROJECT_ROOT / "migrations"),
           "TIPGRAPH_ENRICHMENT_WORKER": "false", "TIPGRAPH_SWEEP_SECONDS": "0"}
    log = tmp_path / "serve.log"
    with running([str(venv / "bin" / "tipgraph"), "serve", "--port", str(port)], log, env,
                 cwd=home) as server:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, log.read_text()[-2000:]
            assert time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.3)
        page = httpx.get(f"{url}/workspace", timeout=10)
        assert page.status_code == 200
        assert '<script src="/workspace/workspace.js">' in page.text
        script = httpx.get(f"{url}/workspace/workspace.js", timeout=10)
        assert script.status_code == 200, script.text[:200]
        assert script.headers["content-type"].startswith("text/javascript")
        assert httpx.get(f"{url}/workspace/workspace.css", timeout=10).status_code == 200
        # and GraphiQL (development), from the wheel too
        ide = httpx.get(f"{url}/graphql", headers={"Accept": "text/html"}, timeout=10)
        assert '<script src="/graphiql/graphiql.min.js">' in ide.text
        for name in (*GRAPHIQL, "start.js"):
            assert httpx.get(f"{url}/graphiql/{name}", timeout=10).status_code == 200, name
        assert script.content == (WORKSPACE / "workspace.js").read_bytes()
        assert "//" not in page.text.split("<script src=")[1].split(">")[0]  # no other host
