"""Independent pieces of work on two processors: each job in a child process, one piece here.

:func:`beside` hands each ``function(argument)`` to a child, ``python -m ktstat.worker JOB RESULT``
(a fresh interpreter: no thread, lock or open store of this process is inherited, and no
caller's script is run again), and runs the other piece here meanwhile. ``JOB`` is a pickle of
``(function, argument)`` written in a private temporary folder; the child writes the pickle of
``function(argument)`` (with the warnings ktstat's loggers gave, which the parent logs again)
to ``RESULT`` and exits 0. A child that fails leaves its work to this process (with a warning
naming it); an exception or interrupt here kills the children. Used by disclosure control (one
flow each, :mod:`ktstat.sdc.worker`) and by release writing (the PDFs and fonts beside the data
files). The results are those of one process: the pieces are deterministic and share nothing.
"""

from __future__ import annotations

import logging
import os
import pickle
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

LOG = logging.getLogger(__name__)

T = TypeVar("T")


def two_processors() -> bool:
    """Whether this machine has two processors or more (else :func:`beside` runs in order)."""
    return (os.cpu_count() or 1) >= 2


Job = tuple[Callable[[Any], Any], Any, str]
"""A piece of work for a child process: a module-level function, its (picklable) argument, and
what it does (named in the warning when the child fails)."""


def beside(jobs: Sequence[Job], here: Callable[[], T], parallel: bool = True) -> tuple[list[Any], T]:
    """``([fn(arg) for fn, arg, _ in jobs], here())``, each job in a child process of its own when
    ``parallel`` and there are two processors or more (the children and this process share the
    processors), else all here, ``here()`` first. A child that fails has its job done here
    afterwards, with a warning naming the job."""
    if not parallel or not two_processors() or not jobs:
        mine = here()
        return [fn(arg) for fn, arg, _ in jobs], mine
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory(prefix="ktstat-worker-") as tmp:
        children = []
        try:
            for k, (fn, arg, _what) in enumerate(jobs):
                job_file, result_file, err_path = (Path(tmp) / f"{k}.{n}" for n in ("job", "result", "stderr"))
                job_file.write_bytes(pickle.dumps((fn, arg), protocol=pickle.HIGHEST_PROTOCOL))
                with open(err_path, "wb") as err_file:
                    # a session of its own: a Ctrl-C at the terminal reaches this process only, which stops it
                    children.append(
                        subprocess.Popen(
                            [sys.executable, "-m", "ktstat.worker", str(job_file), str(result_file)],
                            stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL,
                            stderr=err_file,
                            start_new_session=True,
                        )
                    )
            mine = here()
            for child in children:
                child.wait()
        except BaseException:
            for child in children:
                child.kill()
                child.wait()
            raise
        results = []
        for k, ((fn, arg, what), child) in enumerate(zip(jobs, children, strict=True)):
            result_file, err_path = Path(tmp) / f"{k}.result", Path(tmp) / f"{k}.stderr"
            if child.returncode == 0 and result_file.is_file():
                result, logged = pickle.loads(result_file.read_bytes())
                for name, level, message in logged:  # the child's warnings, as if given here
                    logging.getLogger(name).log(level, "%s", message)
                results.append(result)
                continue
            last = err_path.read_bytes().decode(errors="replace").strip().splitlines()[-1:]
            LOG.warning(
                "%s in a child process failed (exit %s: %s); doing it here",
                what,
                child.returncode,
                last[0] if last else "no message",
            )
            results.append(fn(arg))
    return results, mine


class _Kept(logging.Handler):
    """Keeps the warnings (and worse) ktstat's loggers give in a child, for the parent to give
    again (the libraries' own messages stay where they would have gone in one process)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[tuple[str, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.name, record.levelno, record.getMessage()))


def main(argv: list[str]) -> int:
    """The child: ``RESULT`` gets the pickle of ``(function(argument), warnings)``, the warnings
    ktstat's loggers gave meanwhile as ``(logger, level, message)``."""
    job_file, result_file = Path(argv[0]), Path(argv[1])
    fn, job = pickle.loads(job_file.read_bytes())
    kept = _Kept()
    logging.getLogger("ktstat").addHandler(kept)
    result = fn(job)
    part = result_file.with_suffix(".part")
    part.write_bytes(pickle.dumps((result, kept.records), protocol=pickle.HIGHEST_PROTOCOL))
    part.replace(result_file)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
