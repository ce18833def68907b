"""The local Neo4j server: real Neo4j Community 5.26 from Maven Central, run embedded.

``tipgraph neo4j start`` fetches the jars once (Maven), compiles ``Launcher.java`` once (javac),
and starts it in the background with its output in a log file. State lives under
``<state_dir>/neo4j/``: ``lib/`` (jars), ``classes/``, ``data/`` and one ``<port>.json`` record
per running server.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
POM = HERE / "pom.xml"
LAUNCHER = HERE / "Launcher.java"
READY_MARK = "TIPGRAPH_NEO4J_READY"
JVM_FLAGS = (
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
    "-Dio.netty.tryReflectionSetAccessible=true",
)


class Neo4jServerError(RuntimeError):
    """The local server could not be installed, started or stopped; the message says why."""


@dataclass(frozen=True, slots=True)
class ServerRecord:
    pid: int
    port: int
    data_dir: str
    log_file: str

    @property
    def uri(self) -> str:
        return f"bolt://localhost:{self.port}"


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by its parent) is not alive for our purposes.
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return True


# Servers this process started: kept so that stop() can reap them (no zombies, no warnings).
_children: dict[int, subprocess.Popen[bytes]] = {}


class LocalNeo4j:
    def __init__(self, state_dir: Path, pagecache_mib: int = 512, heap: str = "2g") -> None:
        self.home = state_dir / "neo4j"
        self.lib = self.home / "lib"
        self.classes = self.home / "classes"
        self.pagecache_mib = pagecache_mib
        self.heap = heap

    # -- install -----------------------------------------------------------------------------

    def install(self) -> None:
        """Fetch the jars and compile the launcher, unless both are current."""
        self.home.mkdir(parents=True, exist_ok=True)
        stamp = self.home / "lib.stamp"
        want = hashlib.sha256(POM.read_bytes()).hexdigest()
        if not (stamp.exists() and stamp.read_text() == want and any(self.lib.glob("*.jar"))):
            mvn = shutil.which("mvn")
            if mvn is None:
                raise Neo4jServerError("Maven (mvn) is not on PATH; it fetches the Neo4j jars")
            shutil.rmtree(self.lib, ignore_errors=True)
            result = subprocess.run(
                [mvn, "-B", "-q", "-f", str(POM), "dependency:copy-dependencies",
                 f"-DoutputDirectory={self.lib}", "-DincludeScope=runtime"],
                capture_output=True, text=True, check=False,
            )
            if result.returncode != 0:
                output = result.stdout[-3000:] + result.stderr[-3000:]
                raise Neo4jServerError(f"mvn failed:\n{output}")
            stamp.write_text(want)
        launcher_class = self.classes / "Launcher.class"
        source_hash = hashlib.sha256(LAUNCHER.read_bytes()).hexdigest()
        class_stamp = self.home / "classes.stamp"
        if not (launcher_class.exists() and class_stamp.exists()
                and class_stamp.read_text() == source_hash):
            javac = self._java_tool("javac")
            self.classes.mkdir(parents=True, exist_ok=True)
            result = subprocess.run(
                [javac, "-cp", f"{self.lib}/*", "-d", str(self.classes), str(LAUNCHER)],
                capture_output=True, text=True, check=False,
            )
            if result.returncode != 0:
                raise Neo4jServerError(f"javac failed:\n{result.stderr[-3000:]}")
            class_stamp.write_text(source_hash)

    @staticmethod
    def _java_tool(name: str) -> str:
        java_home = os.environ.get("JAVA_HOME")
        if java_home and (Path(java_home) / "bin" / name).exists():
            return str(Path(java_home) / "bin" / name)
        found = shutil.which(name)
        if found is None:
            raise Neo4jServerError(f"{name} is not on PATH; Neo4j 5.26 needs Java 17 or 21")
        return found

    # -- records -----------------------------------------------------------------------------

    def _record_path(self, port: int) -> Path:
        return self.home / f"{port}.json"

    def record(self, port: int) -> ServerRecord | None:
        path = self._record_path(port)
        try:
            data = json.loads(path.read_text())
            return ServerRecord(**data)
        except (OSError, ValueError, TypeError):
            return None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, port: int, data_dir: Path | None = None, timeout: float = 180.0,
              watch_pid: int | None = None) -> str:
        """Start a server on ``port`` and return its bolt URI once it answers.

        With ``watch_pid`` the server stops by itself once that process is gone.
        """
        existing = self.record(port)
        if existing is not None and pid_alive(existing.pid) and port_open(port):
            return existing.uri
        if port_open(port):
            raise Neo4jServerError(
                f"port {port} is taken by a process tipgraph did not start; "
                "set TIPGRAPH_NEO4J_URI to use it, or pick another --port"
            )
        self.install()
        data = (data_dir or self.home / "data").resolve()
        data.mkdir(parents=True, exist_ok=True)
        log_file = self.home / f"neo4j-{port}.log"
        java = self._java_tool("java")
        command = [
            java, f"-Xmx{self.heap}", *JVM_FLAGS,
            "-cp", f"{self.lib}/*:{self.classes}",
            "Launcher", str(data), str(port), str(self.pagecache_mib),
            *([str(watch_pid)] if watch_pid else []),
        ]
        with log_file.open("w") as log:
            process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        _children[port] = process
        record = ServerRecord(pid=process.pid, port=port, data_dir=str(data),
                              log_file=str(log_file))
        self._record_path(port).write_text(json.dumps(_as_dict(record)))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                _children.pop(port, None)
                self._record_path(port).unlink(missing_ok=True)
                tail = log_file.read_text()[-3000:]
                raise Neo4jServerError(f"Neo4j exited with {process.returncode}:\n{tail}")
            if READY_MARK in log_file.read_text():
                return record.uri
            time.sleep(0.25)
        self.stop(port)
        raise Neo4jServerError(f"Neo4j did not answer within {timeout:.0f}s; see {log_file}")

    def stop(self, port: int, timeout: float = 60.0) -> bool:
        """Stop the server on ``port``; True when one was running."""
        record = self.record(port)
        if record is None:
            return False
        self._record_path(port).unlink(missing_ok=True)
        if not pid_alive(record.pid):
            child = _children.pop(port, None)
            if child is not None:
                child.wait(timeout=10)
            return False
        os.kill(record.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and pid_alive(record.pid):
            time.sleep(0.2)
        if pid_alive(record.pid):
            os.kill(record.pid, signal.SIGKILL)
        child = _children.pop(port, None)
        if child is not None:
            child.wait(timeout=10)
        return True

    def kill(self, port: int) -> bool:
        """SIGKILL the server on ``port``, as a crash would (fault injection); True if one was
        running. Its data folder keeps whatever Neo4j had made durable."""
        record = self.record(port)
        if record is None or not pid_alive(record.pid):
            return False
        os.kill(record.pid, signal.SIGKILL)
        child = _children.pop(port, None)
        if child is not None:
            child.wait(timeout=30)
        else:
            deadline = time.monotonic() + 30
            while pid_alive(record.pid) and time.monotonic() < deadline:
                time.sleep(0.1)
        self._record_path(port).unlink(missing_ok=True)
        return True

    def status(self, port: int) -> dict[str, object]:
        record = self.record(port)
        running = record is not None and pid_alive(record.pid) and port_open(port)
        return {
            "running": running,
            "uri": f"bolt://localhost:{port}",
            "pid": record.pid if record and running else None,
            "data": record.data_dir if record else None,
            "log": record.log_file if record else None,
        }


@contextlib.contextmanager
def ephemeral_server(state_dir: Path, data_dir: Path, *, pagecache_mib: int = 256,
                     heap: str = "1g") -> Iterator[str]:
    """A server on a free port for this process only: stopped on exit, or when it dies."""
    server = LocalNeo4j(state_dir, pagecache_mib=pagecache_mib, heap=heap)
    port = free_port()
    uri = server.start(port, data_dir, watch_pid=os.getpid())
    try:
        yield uri
    finally:
        server.stop(port)


def _as_dict(record: ServerRecord) -> dict[str, object]:
    return {"pid": record.pid, "port": record.port, "data_dir": record.data_dir,
            "log_file": record.log_file}
