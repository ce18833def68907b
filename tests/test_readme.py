"""The README's examples run as written: every ``sh`` block, in order, in one shell, against a
real ``tipgraph serve`` on the session's Neo4j (the whole loop: an ESP submits through both
doors, an analyst triages and refers, the agency reads its package and records an outcome, the
auditor reads the trail). Blocks that need ``make`` or placeholders are ``console`` blocks.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import pytest

from api.settings import PROJECT_ROOT, Settings
from graph.core.db import Database
from tests.helpers import IDENTIFIER_KEY

README: Final = PROJECT_ROOT / "README.md"
EXAMPLES: Final = PROJECT_ROOT / "examples"
SH_BLOCK: Final = re.compile(r"^```sh\n(.*?)^```", re.M | re.S)
DEV_API: Final = "http://127.0.0.1:8000"
ISO_DATE: Final = re.compile(r"\b(20\d\d-\d\d-\d\d)(?:T[0-9:.]+(?:Z|[+-]\d\d:\d\d)?)?")


def sh_blocks() -> list[str]:
    return SH_BLOCK.findall(README.read_text())


def test_the_readme_stands_on_its_own() -> None:
    """A clone has no ../shared; the files the examples use are in the repository."""
    text = README.read_text()
    assert "../shared" not in text
    for path in re.findall(r"examples/[\w.-]+", text):
        assert (PROJECT_ROOT / path).is_file(), path
    assert len(sh_blocks()) >= 6


def test_example_dates_stay_in_the_past() -> None:
    """An example dated in the future would be refused ("must be in the past") one day."""
    today = datetime.now(UTC).date().isoformat()
    sources = [README, *sorted(EXAMPLES.iterdir())]
    future = [(path.name, day) for path in sources
              for day in ISO_DATE.findall(path.read_text()) if day > today]
    assert not future, future


@pytest.mark.skipif(shutil.which("jq") is None or shutil.which("curl") is None,
                    reason="the README's examples use curl and jq (see its Requirements)")
def test_the_readme_walk_runs_as_written(served: str, settings: Settings, db: Database,
                                         tmp_path: Path) -> None:
    script = "set -euo pipefail\n" + "\n".join(sh_blocks()) + "\necho README-WALK-DONE\n"
    script = script.replace(DEV_API, served).replace(".venv/bin/",
                                                      f"{Path(sys.executable).parent}/")
    (tmp_path / "walk.sh").write_text(script)
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path), "TMPDIR": str(tmp_path),
           "TIPGRAPH_NEO4J_URI": settings.neo4j_uri,
           "TIPGRAPH_STATE_DIR": str(settings.state_dir),
           "TIPGRAPH_IDENTIFIER_KEY": IDENTIFIER_KEY}
    bash = shutil.which("bash") or "/bin/bash"
    done = subprocess.run([bash, str(tmp_path / "walk.sh")], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert "README-WALK-DONE" in done.stdout
    assert '"status": "SUBMITTED"' in done.stdout  # the ESP read its report back
    assert '"latestOutcome": "INVESTIGATION_OPENED"' in done.stdout
    assert "<reportDoneResponse>" in done.stdout  # the XML door's finish
    assert "<responseCode>0<" in done.stdout
