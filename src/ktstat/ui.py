"""Terminal progress for long work (Rich), used by the CLI only."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def progress_printer() -> Iterator[Callable[[str], None]]:
    """Yields ``say(msg)`` that shows a spinner with the current step and logs finished steps."""
    import sys

    from rich.console import Console

    # a log file or pipe: no wrapping at 80 columns (one line per step), no spinner
    console = Console(stderr=True) if sys.stderr.isatty() else Console(stderr=True, width=10_000, soft_wrap=True)
    start = time.perf_counter()
    with console.status("starting") as status:

        def say(msg: str) -> None:
            console.print(f"[dim]{time.perf_counter() - start:6.1f}s[/dim] {msg}", highlight=False)
            status.update(msg)

        yield say


def console() -> Any:
    """A Rich console for tables and lines: the terminal's real width; when not a terminal (a pipe,
    a log file) no width limit, so that nothing is wrapped or cut."""
    import sys

    from rich.console import Console

    return Console() if sys.stdout.isatty() else Console(width=10_000, soft_wrap=True)
