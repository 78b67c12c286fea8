"""ktstat: compile, check and publish statistics on trade in technology and knowledge services.

The public Python API is :func:`ktstat.compile`, which runs the pipeline (README.md, Layout) on a
domain's input files and returns the indicators table as a PyArrow table. Heavy libraries are
imported lazily so that ``import ktstat`` and ``ktstat --help`` stay fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from ktstat.pipeline import compile as compile


def __getattr__(name: str) -> Any:
    if name == "compile":
        from ktstat.pipeline import compile

        return compile
    raise AttributeError(name)


__all__ = ["compile", "__version__"]
