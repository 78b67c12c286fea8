"""Shared fixtures: one demo run per test session (default scale and seed)."""

from __future__ import annotations

import importlib.util
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from apistore import Small
    from browserkit import Server
    from ktstat.factcheck.figures import TableFigures

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ktstat.demo.run import run_demo

    out = tmp_path_factory.mktemp("demo")
    run_demo(out)
    return out


@pytest.fixture(scope="session")
def demo_figures(demo_dir: Path) -> TableFigures:
    """The released figures of the session's demo (``store_figures`` of its store: 600,000 cells),
    read once for the fact-check tests that check articles against the demo. Read only."""
    from ktstat.factcheck.figures import store_figures

    return store_figures(demo_dir / "ktstat.duckdb")


@pytest.fixture(scope="session")
def api_small(tmp_path_factory: pytest.TempPathFactory) -> object:
    """The small API store (tests/apistore.py), built once per session."""
    from apistore import build_small

    return build_small(tmp_path_factory.mktemp("api"))


@pytest.fixture(scope="session")
def api_rich(tmp_path_factory: pytest.TempPathFactory) -> object:
    """An API store over generated records with realistic amounts (tests/apistore.py)."""
    from apistore import build_rich

    return build_rich(tmp_path_factory.mktemp("api-rich"))


# ---- the browser tests (tests/test_api_browser.py, tests/test_api_factcheck_browser.py; tests/browserkit.py)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium, headless, driven by playwright: one per browser test module."""
    from browserkit import CHROMIUM, FLAGS, sync_api

    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def explorer_server(api_rich: Small) -> Iterator[Server]:
    """The API over the rich store (tests/apistore.py) served on loopback: one per browser test module."""
    from browserkit import Server

    srv = Server(api_rich)
    yield srv
    srv.stop()


@pytest.fixture()
def server(explorer_server: Server) -> Server:
    """The module's server, its clock set after both releases at the start of each test."""
    from apistore import AFTER

    explorer_server.clock.t = AFTER
    return explorer_server


# ---- a progress line per test file (besides pytest's dots): "tests/test_x.py: 12 passed in 3.4 s"
_left: Counter[str] = Counter()
_outcomes: dict[str, Counter[str]] = defaultdict(Counter)
_started: dict[str, float] = {}


def _count(nodeids: list[str]) -> None:
    if not _left:
        for nodeid in nodeids:
            _left[nodeid.split("::")[0]] += 1


def pytest_collection_finish(session: pytest.Session) -> None:
    _count([item.nodeid for item in session.items])  # after deselection (-k, -m)


if importlib.util.find_spec("xdist") is not None:

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(node: object, ids: list[str]) -> None:
        """With ``-n``, the controller does not collect: every worker reports the same ids."""
        _count(ids)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    path = report.nodeid.split("::")[0]
    _started.setdefault(path, time.perf_counter())
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        _outcomes[path]["xfailed" if hasattr(report, "wasxfail") else report.outcome] += 1
    elif report.when == "teardown" and report.outcome == "failed":
        _outcomes[path]["error"] += 1
    if report.when != "teardown":
        return
    _left[path] -= 1
    if _left[path] == 0:
        counts = ", ".join(f"{n} {k}" for k, n in sorted(_outcomes[path].items()))
        line = f"{path}: {counts or 'nothing run'} in {time.perf_counter() - _started[path]:.1f} s"
        import sys

        tr = _reporter()
        if tr is not None:
            tr.write("\n")
            tr.write_line(line)
        else:  # pragma: no cover - no terminal reporter (e.g. -p no:terminal)
            print(line, file=sys.stderr)


_config: list[pytest.Config] = []


def pytest_configure(config: pytest.Config) -> None:
    _config.append(config)
    for name, what in (
        ("demo", "uses the session's demo (demo_dir: about 3 minutes to build, once)"),
        ("spark", "runs Spark (tests/test_engine_spark.py, the Spark runs of tests/engines/)"),
        ("browser", "drives chromium (tests/test_api_browser.py, tests/test_api_factcheck_browser.py)"),
    ):
        config.addinivalue_line("markers", f"{name}: {what}")


SPARK_FILES = ("test_engine_spark.py", "engines/test_conformance.py")
"""Test files that start Spark: one xdist group, so one Spark session (the engine starts it on
first use and reuses it) serves them all; stopped after the last of them (see below)."""


def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Stop the Spark session (and its JVM) once a worker has run its last Spark test."""
    if item.nodeid.split("::")[0].endswith(SPARK_FILES) and (
        nextitem is None or not nextitem.nodeid.split("::")[0].endswith(SPARK_FILES)
    ):
        from ktstat.engine.spark import stop_session

        stop_session()


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's, which reads the xdist_group marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Marks for a fast subset: ./run test -m "not slow and not demo and not spark and not browser".

    And the groups of ``-n N --dist loadgroup`` (pytest-xdist, the default in pyproject.toml): a
    test file runs on one worker, so its module fixtures are built once; every test of the
    session's demo runs on one worker, so the demo is built once."""
    grouping = bool(getattr(config.option, "loadgroup", False))  # set on xdist's workers
    for item in items:
        path = item.nodeid.split("::")[0]
        group = path
        if path.endswith(SPARK_FILES):
            group = "spark"
        if "demo_dir" in getattr(item, "fixturenames", ()):
            item.add_marker("demo")
            group = "demo"
        item.add_marker(pytest.mark.xdist_group(group))
        if grouping:
            _group_node_id(item, group)
        if path.endswith("test_engine_spark.py"):
            item.add_marker("spark")
        if path.endswith("test_api_browser.py"):
            item.add_marker("browser")
    items[:] = sorted(items, key=_schedule_rank)


LONG_FIRST = (
    "test_api_browser.py",
    "test_api.py",
    "test_properties.py",
    "test_api_clients.py",
    "test_compile_regression.py",
    "engines/test_conformance.py",
    "test_engine_spark.py",
    "test_publish_release.py",
    "test_api_snapshots.py",
    "test_ingest_corpus.py",
    "test_signals.py",
    "test_publish_exact.py",
    "test_sdc_revisions.py",
    "test_api_rest.py",
    "test_publish_sdmx_columns.py",
    "test_ingest_atomic.py",
)
"""Test files that take longest besides the demo's tests (about 10 to 45 s each on 2 cores), in
that order. With ``--no-loadscope-reorder`` (pyproject.toml) xdist hands out the groups in the
order of the items: the demo's group first (the longest: about 6 minutes on one worker), then
these, then the short files, which fill in at the end, so neither worker waits long for the other."""


def _schedule_rank(item: pytest.Item) -> int:
    if item.get_closest_marker("demo") is not None:
        return 0
    path = item.nodeid.split("::")[0].removeprefix("tests/")
    return 1 + LONG_FIRST.index(path) if path in LONG_FIRST else 1 + len(LONG_FIRST)


def _group_node_id(item: pytest.Item, group: str) -> None:
    """Give a worker's item the node id ``<id>@<group>`` that xdist's loadgroup scheduler groups by.

    pytest-xdist 3.8 appends the suffix by assigning ``item._nodeid``, which pytest 9.2's
    structured node ids (``item._id``) no longer read: the marks were ignored, every test was
    scheduled on its own, and the demo and the stores of tests/apistore.py were built on both
    workers (pytest-dev/pytest-xdist#1386). Where xdist's assignment still works (older pytest),
    it does it itself."""
    node_id = getattr(item, "_id", None)
    if node_id is None or str(node_id).endswith("@" + group):
        return
    item._id = type(node_id).parse(f"{node_id}@{group}")


def _reporter() -> pytest.TerminalReporter | None:
    return _config[-1].pluginmanager.get_plugin("terminalreporter") if _config else None
