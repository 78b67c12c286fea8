"""Two independent pieces of work on two processors: one in a child process, one here.

:func:`beside` hands ``function(argument)`` to a child, ``python -m ktstat.worker JOB RESULT``
(a fresh interpreter: no thread, lock or open store of this process is inherited, and no
caller's script is run again), and runs the other piece here meanwhile. ``JOB`` is a pickle of
``(function, argument)`` written in a private temporary folder; the child writes the pickle of
``function(argument)`` to ``RESULT`` and exits 0. A child that fails leaves its work to this
process (with a warning naming it); an exception or interrupt here kills the child. Used by
disclosure control (one flow each, :mod:`ktstat.sdc.worker`) and by release writing (the PDFs
and fonts beside the data files). The results are those of one process: both pieces are
deterministic and share nothing.
"""

from __future__ import annotations

import logging
import os
import pickle
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

LOG = logging.getLogger(__name__)

R = TypeVar("R")
T = TypeVar("T")


def two_processors() -> bool:
    """Whether this machine has two processors or more (else :func:`beside` runs in order)."""
    return (os.cpu_count() or 1) >= 2


def beside(fn: Callable[[Any], R], arg: Any, here: Callable[[], T], what: str, parallel: bool = True) -> tuple[R, T]:
    """``(fn(arg), here())``, ``fn(arg)`` in a child process when ``parallel`` and there are two
    processors or more (``fn`` a module-level function, ``arg`` and the result picklable), else
    both here, ``here()`` first. ``what`` names the child's work in the warning given when the
    child fails and its work is done here instead."""
    if not parallel or not two_processors():
        mine = here()
        return fn(arg), mine
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory(prefix="ktstat-worker-") as tmp:
        job_file, result_file, err_path = (Path(tmp) / n for n in ("job.pickle", "result.pickle", "stderr.txt"))
        job_file.write_bytes(pickle.dumps((fn, arg), protocol=pickle.HIGHEST_PROTOCOL))
        with open(err_path, "wb") as err_file:
            # a session of its own: a Ctrl-C at the terminal reaches this process only, which stops it
            child = subprocess.Popen(
                [sys.executable, "-m", "ktstat.worker", str(job_file), str(result_file)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err_file,
                start_new_session=True,
            )
            try:
                mine = here()
                child.wait()
            except BaseException:
                child.kill()
                child.wait()
                raise
        if child.returncode == 0 and result_file.is_file():
            theirs: R = pickle.loads(result_file.read_bytes())
            return theirs, mine
        last = err_path.read_bytes().decode(errors="replace").strip().splitlines()[-1:]
        LOG.warning(
            "%s in a child process failed (exit %s: %s); doing it here",
            what,
            child.returncode,
            last[0] if last else "no message",
        )
    return fn(arg), mine


def main(argv: list[str]) -> int:
    job_file, result_file = Path(argv[0]), Path(argv[1])
    fn, job = pickle.loads(job_file.read_bytes())
    part = result_file.with_suffix(".part")
    part.write_bytes(pickle.dumps(fn(job), protocol=pickle.HIGHEST_PROTOCOL))
    part.replace(result_file)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
