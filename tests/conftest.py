"""Shared fixtures: one demo run per test session (default scale and seed)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ktstat.demo.run import run_demo

    out = tmp_path_factory.mktemp("demo")
    run_demo(out)
    return out


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
