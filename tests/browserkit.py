"""What the browser tests share (tests/test_api_browser.py, tests/test_api_factcheck_browser.py; tests
import it, not a test module): Debian's chromium, headless, driven by playwright; the API served by
uvicorn on loopback (``Server``); where screenshots go (``build/screenshots/`` or
``$KTSTAT_SCREENSHOTS``). The fixtures ``browser`` and ``server`` are in tests/conftest.py.

Importing this module skips the importing test module, with the reason, when playwright or
chromium is missing (``./run test`` installs Debian's chromium when it can: see README).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from apistore import AFTER, Clock, Small

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("KTSTAT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
SHOTS = Path(os.environ.get("KTSTAT_SCREENSHOTS") or ROOT / "build" / "screenshots")

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (requirements.lock)")
if not Path(CHROMIUM).is_file():
    pytest.skip(
        f"no chromium at {CHROMIUM}: install Debian's chromium (apt-get install chromium) or set KTSTAT_CHROMIUM",
        allow_module_level=True,
    )


class Server:
    """uvicorn serving the app on a free loopback port, in a thread; ``clock`` moves the API's time."""

    def __init__(self, small: Small) -> None:
        import uvicorn

        from ktstat.api.app import create_app

        self.clock = Clock(AFTER)
        app = create_app(small.store, now=self.clock, releases_dir=small.releases, refresh_seconds=0)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        self.url = f"http://127.0.0.1:{port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        assert self.server.started, "uvicorn did not start"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
