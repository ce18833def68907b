"""Progress for long loads: a phase's time, and a bar for a phase that counts items.

On a terminal the bar redraws in place; otherwise (CI, a log file) it prints a line per 10 %.
Everything goes to stderr, so a command's JSON on stdout stays parseable.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO


class Progress:
    """A one-line progress bar: ``reports [#####     ] 150/300 (412/s)``."""

    def __init__(self, total: int, what: str, out: TextIO | None = None) -> None:
        self.total, self.what, self.done = total, what, 0
        self.out = out or sys.stderr
        self.started = time.perf_counter()
        self.tty = self.out.isatty()
        self._shown = -1

    def advance(self, count: int) -> None:
        self.done += count
        share = self.done / max(self.total, 1)
        rate = self.done / max(time.perf_counter() - self.started, 1e-9)
        bar = "#" * int(share * 30)
        line = f"{self.what} [{bar:<30}] {self.done}/{self.total} ({rate:,.0f}/s)"
        if self.tty:
            print("\r" + line, end="" if self.done < self.total else "\n", file=self.out,
                  flush=True)
        elif int(share * 10) != self._shown:
            self._shown = int(share * 10)
            print(line, file=self.out, flush=True)


class Phases:
    """Named steps with their times: ``  migrate            1.2 s``; silent without ``out``."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out
        self.seconds: dict[str, float] = {}

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        elapsed = time.perf_counter() - started
        self.seconds[name] = round(elapsed, 2)
        if self.out is not None:
            print(f"  {name:<36} {elapsed:6.1f} s", file=self.out, flush=True)

    def note(self, text: str) -> None:
        if self.out is not None:
            print(f"  {text}", file=self.out, flush=True)

    def progress(self, total: int, what: str) -> Progress | None:
        """A bar for a phase that counts ``total`` items (None when silent)."""
        return Progress(total, f"  {what}", self.out) if self.out is not None else None
