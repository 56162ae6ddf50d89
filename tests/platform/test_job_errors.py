"""A task that raises fails the test that ran it, even though huey only logs the error."""

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_failing_background_task_fails_the_test(tmp_path):
    probe = tmp_path / "test_probe.py"
    probe.write_text(
        textwrap.dedent(
            """
            from motormall.platform import jobs

            @jobs.huey.task()
            def explode():
                raise RuntimeError("boom in a job")

            def test_queues_a_failing_job():
                explode()  # immediate mode: huey logs the exception and returns

            def test_expects_it(job_errors):
                explode()
                (name, exc), = job_errors.take()
                assert name.endswith("explode") and "boom" in str(exc)
            """
        )
    )
    run = subprocess.run(
        # the project's conftest as a plugin: the probe lives outside the tests folder
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "tests.conftest",
            f"--rootdir={tmp_path}",
            str(probe),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = run.stdout + run.stderr
    assert run.returncode == 1, out
    assert "2 passed" in out and "1 error" in out and "boom in a job" in out
    assert "ERROR" in out and "test_queues_a_failing_job" in out
