"""Shared fixtures: every test gets its own database, UTC time and plain output."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pointscli.storage import open_store

SAMPLE = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "practice-2025" / "ledger.csv"
)


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Point POINTS_DB at a fresh file and pin the time zone and terminal."""
    monkeypatch.setenv("POINTS_DB", str(tmp_path / "points.db"))
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "120")
    time.tzset()
    yield
    time.tzset()


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "points.db"


@pytest.fixture
def store(db_path):
    opened = open_store(db_path)
    yield opened
    opened.close()


@pytest.fixture
def cli():
    """Run `points ARGS...` in-process; returns click's Result (stdout and stderr apart)."""
    from pointscli.cli import app

    runner = CliRunner()

    def run(*args, input=None):
        return runner.invoke(
            app, [str(a) for a in args], input=input, catch_exceptions=False
        )

    return run


@pytest.fixture
def points_process():
    """Run `python -m pointscli ARGS...` as a real subprocess."""

    def run(*args, input=None, env=None):
        return subprocess.run(
            [sys.executable, "-m", "pointscli", *map(str, args)],
            input=input,
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
            timeout=120,
        )

    return run


@pytest.fixture
def sample_csv() -> Path:
    if not SAMPLE.exists():
        pytest.skip("the shared sample practice is not beside this checkout")
    return SAMPLE
