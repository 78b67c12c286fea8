"""Terminal progress for long work (Rich), used by the CLI only."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def progress_printer() -> Iterator[Callable[[str], None]]:
    """Yields ``say(msg)`` that shows a spinner with the current step and logs finished steps."""
    from rich.console import Console

    console = Console(stderr=True)
    start = time.perf_counter()
    with console.status("starting") as status:

        def say(msg: str) -> None:
            console.print(f"[dim]{time.perf_counter() - start:6.1f}s[/dim] {msg}", highlight=False)
            status.update(msg)

        yield say


def console() -> Any:
    """A Rich console for tables: the terminal's width, or 200 columns when piped."""
    import sys

    from rich.console import Console

    return Console() if sys.stdout.isatty() else Console(width=200)
