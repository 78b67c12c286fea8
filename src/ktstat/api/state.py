"""What the API serves and when it changes: :class:`ApiState` (the vintages' snapshot files, the
clock, the response cache, a watcher thread that reads new snapshot files) and :func:`env_clock`.

The state never opens the compiler's store while it serves: once, at start, it may open it
read-only to write the snapshots of vintages made before snapshots existed."""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import weakref
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.responses import Response

from ktstat.api.front import Entry, ResponseCache, Scope
from ktstat.api.index import LOG, Snapshot, View, load_snapshot
from ktstat.api.structure import Structures
from ktstat.errors import KtstatError


def env_clock() -> Callable[[], datetime]:
    """The default clock: ``KTSTAT_NOW`` (ISO 8601 with a zone) when set, else the real UTC time.
    ``KtstatError`` when ``KTSTAT_NOW`` is not such a time."""
    raw = os.environ.get("KTSTAT_NOW")
    if not raw:
        return lambda: datetime.now(UTC)
    try:
        fixed = datetime.fromisoformat(raw)
    except ValueError:
        raise KtstatError(f"KTSTAT_NOW: {raw!r} is not a time (ISO 8601, e.g. 2025-09-17T12:00+09:00)") from None
    if fixed.tzinfo is None:
        raise KtstatError(f"KTSTAT_NOW: {raw!r} needs a time zone (e.g. +09:00)")
    return lambda: fixed


class ApiState:
    """What the app serves: the snapshot of the vintage files, the clock, the cache, and the watcher.

    The app reads the vintages' snapshot files (:mod:`ktstat.release.snapshot`) in ``snapshots``
    (default: the store's snapshot folder), never the store itself while it serves. Once, at
    start, the store is opened read-only to write the snapshots a store made before snapshots
    existed lacks (:func:`ktstat.release.snapshot.export_store`); when that fails (a compiler
    holds the store) the files already there are served. A watcher thread looks at the snapshot
    folder and the release manifests every ``refresh_seconds`` and reads what changed, so a new
    vintage is served within about that time of its file appearing."""

    def __init__(
        self,
        store: Path,
        clock: Callable[[], datetime],
        releases_dir: Path | None,
        max_observations: int,
        refresh_seconds: float,
        cache: ResponseCache,
        snapshots: Path | None = None,
    ) -> None:
        from ktstat.release.snapshot import export_store, list_snapshots, snapshot_dir

        self.store = store
        self.snapshots = snapshots if snapshots is not None else snapshot_dir(store)
        self.clock = clock
        self.releases_dir = releases_dir
        self.max_observations = max_observations
        self.refresh_seconds = refresh_seconds
        self.cache = cache
        self._lock = threading.Lock()
        if snapshots is None:
            try:
                written = export_store(store, self.snapshots)
                if written:
                    LOG.info("wrote %d vintage snapshot(s) of %s to %s", len(written), store, self.snapshots)
            except KtstatError as e:
                if not list_snapshots(self.snapshots):
                    raise
                LOG.warning("%s; serving the snapshots in %s", e, self.snapshots)
        elif not self.snapshots.is_dir():
            raise KtstatError(f"{self.snapshots}: no such snapshot folder")
        self._signature = self._sign()
        self.snapshot: Snapshot = load_snapshot(self.snapshots, releases_dir)
        self._structures: tuple[int, Structures] | None = None
        self._verified: dict[tuple[str, int, int], bool] = {}
        self._cache_generation = self.snapshot.generation
        self._stop = threading.Event()
        # the SDMX data handler's fast path (set by ktstat.api.views.sdmx.add_routes)
        self.fast_data: Callable[[Scope], Awaitable[Entry | Response | None]] | None = None
        if refresh_seconds > 0:
            threading.Thread(
                target=_watch,
                args=(weakref.ref(self), refresh_seconds, self._stop),
                name="ktstat-api-watch",
                daemon=True,
            ).start()

    def _sign(self) -> tuple[Any, ...]:
        """What changes when a snapshot file or a release folder changes."""
        from ktstat.release.snapshot import list_snapshots

        sig: list[Any] = [(s.path.name, s.size, s.mtime_ns) for s in list_snapshots(self.snapshots)]
        if self.releases_dir is not None and self.releases_dir.is_dir():
            for m in sorted(self.releases_dir.glob("*/manifest.json")):
                with contextlib.suppress(OSError):
                    sig.append((str(m), m.stat().st_mtime_ns))
        return tuple(sig)

    def refresh(self) -> Snapshot:
        """Read the snapshot folder again now (files already indexed and unchanged are kept)."""
        with self._lock:
            sig = self._sign()
            snap = load_snapshot(self.snapshots, self.releases_dir, self.snapshot.generation + 1, self.snapshot)
            self.snapshot = snap
            self._signature = sig
            return snap

    def check(self) -> bool:
        """Read the folder again if it changed since the last reading; whether it did."""
        if self._sign() == self._signature:
            return False
        self.refresh()
        return True

    def stop(self) -> None:
        """Stop the watcher thread."""
        self._stop.set()

    def current(self) -> tuple[Snapshot, View]:
        """The snapshot and what of it is released by the clock now."""
        snap = self.snapshot
        if snap.generation != self._cache_generation:
            self.cache.clear()
            self._cache_generation = snap.generation
        return snap, snap.view(self.clock())

    def structures(self, snap: Snapshot) -> Structures:
        got = self._structures
        if got is None or got[0] != snap.generation:
            got = self._structures = (snap.generation, Structures(snap.domains))
        return got[1]

    def verified(self, path: Path, sha256: str) -> bool:
        """Whether the file's SHA-256 is ``sha256`` (remembered per path, mtime and size)."""
        try:
            st = path.stat()
        except OSError:
            return False
        key = (str(path), st.st_mtime_ns, st.st_size)
        ok = self._verified.get(key)
        if ok is None:
            h = hashlib.sha256()
            with path.open("rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
            ok = self._verified[key] = h.hexdigest() == sha256
        return ok


def _watch(ref: weakref.ref[ApiState], interval: float, stop: threading.Event) -> None:
    """The watcher thread: :meth:`ApiState.check` every ``interval`` seconds until stopped or
    until the state is gone."""
    while not stop.wait(interval):
        st = ref()
        if st is None:
            return
        try:
            st.check()
        except Exception:  # keep serving what we have; try again at the next check
            LOG.exception("reading the snapshots again failed; still serving generation %d", st.snapshot.generation)
        del st
