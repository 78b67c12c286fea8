"""Timing a command as a separate process: wall time and peak memory (max RSS)."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass


@dataclass
class Measure:
    name: str
    seconds: float
    peak_mb: float
    returncode: int


def measure(name: str, argv: list[str]) -> Measure:
    """Run ``argv`` to completion; wall-clock seconds and the child's peak resident memory."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0 and proc.stderr is not None:
        err = proc.stderr.read().decode("utf-8", "replace").strip().splitlines()[-1:]
        raise RuntimeError(f"{name} failed ({code}): {' '.join(err)}")
    return Measure(name, seconds, usage.ru_maxrss / 1024, code)
