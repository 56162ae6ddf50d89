"""The suite's own options: a mistyped database name must fail the run, not skip every test."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import chosen_backends

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("value", ["pg", "sqlite,pg", "", ","])
def test_an_unknown_database_name_is_refused(value):
    with pytest.raises(pytest.UsageError, match="unknown database"):
        chosen_backends(value)


def test_known_names_are_kept_in_order():
    assert chosen_backends("postgresql,sqlite") == ["postgresql", "sqlite"]
    assert chosen_backends("sqlite") == ["sqlite"]


def test_a_run_with_a_mistyped_database_exits_with_a_usage_error():
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--db=pg",
            "tests/platform/test_migrations.py",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == pytest.ExitCode.USAGE_ERROR, run.stdout + run.stderr
    assert "unknown database pg" in run.stderr
