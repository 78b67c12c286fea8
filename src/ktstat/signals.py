"""Interrupts (Ctrl-C, SIGTERM) for the command line: stop cleanly, say what was kept.

DuckDB runs a query in C++ without giving Python's signal handlers a chance to run, so a
handler alone would wait for the query to end. :func:`install` therefore also has the signal
written to a wake-up socket that a small thread watches; the thread interrupts every open store
connection (:func:`ktstat.store.connections`), the query stops, its transaction rolls back, and
the main thread sees the interrupt. The first signal raises :class:`Interrupted` in the main
thread (when it runs Python code); later ones are only recorded, so that a rollback is never
itself interrupted.

Multi-step commands call :func:`committed` after each step that changed the store, so the
message can say what was kept: ``interrupted: nothing was changed``, or ``interrupted:
kept ...; nothing after it was changed``.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
from types import FrameType

_received: list[int] = []
_steps: list[str] = []
_notes: list[str] = []


class Interrupted(BaseException):  # noqa: N818 - like KeyboardInterrupt: not an error
    """Raised in the main thread by the first SIGINT or SIGTERM."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def received() -> int | None:
    """The first signal received (SIGINT 2, SIGTERM 15), or None."""
    return _received[0] if _received else None


def committed(step: str) -> None:
    """Record that ``step`` (e.g. "the ingest of q1.csv as batch 3") is committed in the store."""
    _steps.append(step)


def note(text: str) -> None:
    """Something besides the store an interrupt leaves behind (e.g. "the folder rel/ is incomplete")."""
    _notes.append(text)


def steps() -> list[str]:
    return list(_steps)


def message() -> str:
    """What to print on an interrupt."""
    if not _steps:
        text = "interrupted: nothing was changed" + (" in the store" if _notes else "")
    else:
        text = f"interrupted: kept {'; '.join(_steps)}; nothing after it was changed"
    return "; ".join([text, *_notes])


def exit_status() -> int:
    """128 + the signal: 130 for Ctrl-C, 143 for SIGTERM."""
    return 128 + (received() or signal.SIGINT)


def leave(status: int) -> None:
    """Exit now: close the store connections (their transactions are rolled back by then), remove
    the lock-info files and end the process without the interpreter's slow and noisy teardown of
    objects an interrupted query left behind."""
    import os
    import sys

    from ktstat import store

    for con in store.connections():
        with contextlib.suppress(Exception):
            con.close()
    store._remove_lock_info()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def _handler(signum: int, frame: FrameType | None) -> None:
    first = not _received
    _received.append(signum)
    if first:
        raise Interrupted(signum)


def _watch(sock: socket.socket) -> None:
    from ktstat.store import connections

    while True:
        try:
            data = sock.recv(64)
        except OSError:
            return
        if not data:
            return
        for con in connections():
            with contextlib.suppress(Exception):  # a closed connection: nothing to stop
                con.interrupt()


def install() -> None:
    """Handle SIGINT and SIGTERM as above (main thread only; a no-op elsewhere)."""
    if threading.current_thread() is not threading.main_thread():
        return
    _received.clear()
    _steps.clear()
    _notes.clear()
    r, w = socket.socketpair()
    r.setblocking(True)
    w.setblocking(False)
    signal.set_wakeup_fd(w.fileno(), warn_on_full_buffer=False)
    for sig in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(sig) is not signal.SIG_IGN:  # started ignoring it (nohup, a background job): keep so
            signal.signal(sig, _handler)
    threading.Thread(target=_watch, args=(r,), name="ktstat-interrupts", daemon=True).start()
    _keep.extend([r, w])


_keep: list[socket.socket] = []
