"""Disclosure control's work on two flows at once: one in a child process, one here.

Exports and imports share no equation, so their protection (and their audit) are independent.
:func:`per_flow` runs a function on each flow's job; with two processors or more it hands the
first job to a child, ``python -m ktstat.sdc.worker JOB RESULT`` (a fresh interpreter: no
thread, lock or open store of this process is inherited, and no caller's script is run again),
and runs the others here meanwhile. ``JOB`` is a pickle of ``(function, argument)`` written
in a private temporary folder; the child writes the pickle of ``function(argument)`` to
``RESULT`` and exits 0. A child that fails leaves its job to this process (with a warning);
an interrupt here kills it. The results are those of one process: each job is deterministic.
"""

from __future__ import annotations

import logging
import os
import pickle
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

LOG = logging.getLogger(__name__)


def per_flow(fn: Callable[[Any], Any], jobs: dict[str, Any], parallel: bool) -> dict[str, Any]:
    """``{flow: fn(job)}``; the first job in a child process when ``parallel`` and there are two
    jobs or more and two processors or more (``fn`` a module-level function, ``job`` picklable)."""
    if not parallel or len(jobs) < 2 or (os.cpu_count() or 1) < 2:
        return {flow: fn(job) for flow, job in jobs.items()}
    import subprocess
    import tempfile

    flows = list(jobs)
    done: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="ktstat-sdc-") as tmp:
        job_file, result_file, err_path = (Path(tmp) / n for n in ("job.pickle", "result.pickle", "stderr.txt"))
        job_file.write_bytes(pickle.dumps((fn, jobs[flows[0]]), protocol=pickle.HIGHEST_PROTOCOL))
        with open(err_path, "wb") as err_file:
            # a session of its own: a Ctrl-C at the terminal reaches this process only, which stops it
            child = subprocess.Popen(
                [sys.executable, "-m", "ktstat.sdc.worker", str(job_file), str(result_file)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err_file,
                start_new_session=True,
            )
            try:
                for flow in flows[1:]:
                    done[flow] = fn(jobs[flow])
                child.wait()
            except BaseException:
                child.kill()
                child.wait()
                raise
        if child.returncode == 0 and result_file.is_file():
            done[flows[0]] = pickle.loads(result_file.read_bytes())
        else:
            last = err_path.read_bytes().decode(errors="replace").strip().splitlines()[-1:]
            LOG.warning(
                "disclosure control of flow %s in a child process failed (exit %s: %s); doing it here",
                flows[0],
                child.returncode,
                last[0] if last else "no message",
            )
            done[flows[0]] = fn(jobs[flows[0]])
    return {flow: done[flow] for flow in flows}


def main(argv: list[str]) -> int:
    job_file, result_file = Path(argv[0]), Path(argv[1])
    fn, job = pickle.loads(job_file.read_bytes())
    part = result_file.with_suffix(".part")
    part.write_bytes(pickle.dumps(fn(job), protocol=pickle.HIGHEST_PROTOCOL))
    part.replace(result_file)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
