"""ktstat.worker.beside: each job in a child process, one piece of work here, the results those
of one process; a failing child's job redone here with a warning; an error here stops the children."""

from __future__ import annotations

import math
import subprocess
import sys
import time
from typing import Any

import pytest

from ktstat import worker


def _record_children(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every process ``subprocess.Popen`` starts from now on (the Popen objects)."""
    real = subprocess.Popen
    started: list[Any] = []

    def popen(*a: Any, **k: Any) -> Any:
        p = real(*a, **k)
        started.append(p)
        return p

    monkeypatch.setattr(subprocess, "Popen", popen)
    monkeypatch.setattr(worker, "two_processors", lambda: True)
    return started


def test_the_child_computes_its_piece_while_this_process_computes_the_other(monkeypatch: pytest.MonkeyPatch) -> None:
    started = _record_children(monkeypatch)
    jobs: list[worker.Job] = [(math.factorial, 20, "a factorial"), (str.upper, "ab", "capitals")]
    theirs, mine = worker.beside(jobs, lambda: sum(range(10)))
    assert (theirs, mine) == ([math.factorial(20), "AB"], 45)
    assert len(started) == 2 and all(p.args[1:3] == ["-m", "ktstat.worker"] for p in started)


def test_in_one_process_when_asked_or_on_one_processor(monkeypatch: pytest.MonkeyPatch) -> None:
    started = _record_children(monkeypatch)
    order: list[str] = []

    def here() -> int:
        order.append("here")
        return 1

    assert worker.beside([(str, 7, "text")], here, parallel=False) == (["7"], 1)
    monkeypatch.setattr(worker, "two_processors", lambda: False)
    assert worker.beside([(str, 8, "text")], lambda: 2) == (["8"], 2)
    assert started == [] and order == ["here"]


def test_a_failing_child_leaves_its_work_here_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    started = _record_children(monkeypatch)
    monkeypatch.setattr(sys, "executable", "false")  # a "python" that exits 1 at once
    with caplog.at_level("WARNING", logger="ktstat.worker"):
        got = worker.beside([(math.factorial, 10, "the factorial of ten")], lambda: "mine")
    assert got == ([3628800], "mine")
    assert len(started) == 1
    assert "the factorial of ten in a child process failed (exit 1" in caplog.text


def test_an_error_here_stops_the_child(monkeypatch: pytest.MonkeyPatch) -> None:
    started = _record_children(monkeypatch)

    def here() -> None:
        time.sleep(0.5)  # the child is running by now
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        worker.beside([(time.sleep, 60, "a minute's sleep"), (time.sleep, 90, "a longer sleep")], here)
    assert [p.returncode for p in started] == [-9, -9]  # killed (SIGKILL) and reaped, not waited for


def test_the_childs_warnings_are_given_here(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """A warning a ktstat logger gives in a child is logged again here, by the same logger."""
    import functools
    import logging

    _record_children(monkeypatch)
    warn = functools.partial(logging.Logger.warning, logging.getLogger("ktstat.publish.pdf"), "no glyph for %s")
    with caplog.at_level("WARNING"):
        got = worker.beside([(warn, "U+1F600", "a warning")], lambda: None)
    assert got == ([None], None)
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        ("ktstat.publish.pdf", "WARNING", "no glyph for U+1F600")
    ]
