"""Disclosure control's work on two flows at once: one in a child process, one here.

Exports and imports share no equation, so their protection (and their audit) are independent.
:func:`per_flow` runs a function on each flow's job, the first job in a child process
(:func:`ktstat.worker.beside`) and the others here meanwhile. The results are those of one
process: each job is deterministic.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def per_flow(fn: Callable[[Any], Any], jobs: dict[str, Any], parallel: bool) -> dict[str, Any]:
    """``{flow: fn(job)}``; the first job in a child process when ``parallel`` and there are two
    jobs or more and two processors or more (``fn`` a module-level function, ``job`` picklable)."""
    from ktstat.worker import beside, two_processors

    if not parallel or len(jobs) < 2 or not two_processors():
        return {flow: fn(job) for flow, job in jobs.items()}
    first, *rest = list(jobs)
    (done,), others = beside(
        [(fn, jobs[first], f"disclosure control of flow {first}")], lambda: {flow: fn(jobs[flow]) for flow in rest}
    )
    return {first: done, **others}
