"""Run the API with uvicorn: ``serve(store, host, port, releases_dir)``.

``ktstat serve`` calls :func:`serve`. With ``workers`` > 1 uvicorn starts that many processes,
each building the app through :func:`app_from_env` (the settings travel in the environment
variables ``KTSTAT_API_STORE``, ``KTSTAT_API_RELEASES``, ``KTSTAT_API_MAX_OBSERVATIONS``, and
``KTSTAT_API_CACHE_ENTRIES``: the response cache's size, 0 to turn it off).
uvicorn takes ``uvloop`` and ``httptools`` when they are installed (``loop="auto"``,
``http="auto"``). The clock is the real time, or ``KTSTAT_NOW`` (see :func:`ktstat.api.state.env_clock`).
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI

from ktstat.api.app import MAX_OBSERVATIONS, ResponseCache, create_app
from ktstat.errors import KtstatError

ENV_STORE = "KTSTAT_API_STORE"
ENV_RELEASES = "KTSTAT_API_RELEASES"
ENV_MAX = "KTSTAT_API_MAX_OBSERVATIONS"
ENV_CACHE = "KTSTAT_API_CACHE_ENTRIES"
FONT_WAIT = 120.0
"""Seconds :func:`serve` waits, at most, for the explorer's typeface before it listens."""


def app_from_env() -> FastAPI:
    """The app for the settings in the environment (see module doc); ``KtstatError`` without a store."""
    store = os.environ.get(ENV_STORE)
    if not store:
        raise KtstatError(f"{ENV_STORE} is not set: the store to serve")
    releases = os.environ.get(ENV_RELEASES) or None
    return create_app(
        Path(store),
        releases_dir=Path(releases) if releases else None,
        max_observations=int(os.environ.get(ENV_MAX, MAX_OBSERVATIONS)),
        cache=ResponseCache(max_entries=int(os.environ.get(ENV_CACHE, 4096))),
    )


def serve(
    store: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    releases_dir: Path | None = None,
    workers: int = 1,
    log_level: str = "info",
    access_log: bool = True,
    max_observations: int = MAX_OBSERVATIONS,
) -> None:
    """Serve the API over ``store`` on ``host:port`` until interrupted (blocks).

    ``releases_dir``: the release folders to serve under ``/releases/{vintage}/``; ``workers``:
    uvicorn worker processes (each holds its own copy of the index). What is served are the
    vintages' snapshot files beside the store (see :class:`ktstat.api.state.ApiState`); the store is
    opened only at start, read-only, to write missing ones. Raises ``KtstatError`` when there is
    neither a usable store nor a snapshot (checked before uvicorn starts)."""
    import uvicorn

    store = Path(store).resolve()
    os.environ[ENV_STORE] = str(store)
    if releases_dir is not None:
        os.environ[ENV_RELEASES] = str(Path(releases_dir).resolve())
    else:
        os.environ.pop(ENV_RELEASES, None)
    os.environ[ENV_MAX] = str(max_observations)
    if workers <= 1:
        app = app_from_env()  # fails here, before binding the port, if the store is unusable
        app.state.fonts_ready.wait(FONT_WAIT)  # the explorer's typeface cut (or read) before the first reader
        uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=access_log)
        return
    from ktstat.release.snapshot import export_store

    export_store(store)  # write missing snapshots once, and fail before the workers start
    uvicorn.run(
        "ktstat.api.serve:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        access_log=access_log,
    )
