"""The two commands of the README, as a new user runs them on a machine with only Python and make."""

import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.school.test_serving import free_port


PROJECT_DIR = Path(__file__).resolve().parents[2]


def _read_until(process, pattern, timeout):
    """Lines the process prints until one matches `pattern` (or fails the test after `timeout` s)."""
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    seen, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            continue
        seen.append(line)
        if re.search(pattern, line):
            return seen
    pytest.fail(f"no line matching {pattern!r} within {timeout} s:\n{''.join(seen)}")


def test_rundemo_loads_the_demo_once_and_prints_the_logins_last_with_its_address(tmp_path):
    """A new database gets migrated and the demo loaded; the logins come once, after the server's
    own banner, with the port it serves; a second start loads nothing and still prints them."""
    port = free_port()
    environ = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "school.settings.dev",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "PYTHONUNBUFFERED": "1",
    }
    environ.pop("REDIS_URL", None)
    command = [sys.executable, "manage.py", "rundemo", "--noreload", f"127.0.0.1:{port}"]
    for run in ("first", "second"):
        process = subprocess.Popen(  # noqa: S603 - our own command line
            command, cwd=PROJECT_DIR, env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        try:
            lines = _read_until(process, r"^learner \(secretary\)\s+learner6 ", timeout=240)
            output = "".join(lines)
            assert output.count("Demo logins") == 1
            assert ("Loading the demo" in output) is (run == "first")
            # The banner first, the logins last, with the address really served.
            assert output.index("Starting development server") < output.index("Demo logins")
            assert f"http://127.0.0.1:{port}/my/" in output
            assert "8000" not in output.replace(f":{port}", "")
            assert requests.get(f"http://127.0.0.1:{port}/", timeout=10).status_code == 200
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_test_without_chromium_stops_at_once_with_one_line(tmp_path):
    """Without Chromium, `make test` says in one line which command installs it, before anything else."""
    # A PATH with make, sh and the shell's tools but no chromium.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("make", "bash", "sh", "grep", "awk"):
        if found := shutil.which(tool):
            (bin_dir / tool).symlink_to(found)
    environ = {"PATH": str(bin_dir), "CHROMIUM_PATH": str(tmp_path / "no-chromium"), "HOME": str(tmp_path)}
    result = subprocess.run(  # noqa: S603 - our own command line
        [str(bin_dir / "make"), "--no-print-directory", "test"],
        cwd=PROJECT_DIR,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    message = result.stdout.strip().splitlines()
    assert len(message) == 1, result.stdout + result.stderr
    assert "apt-get install chromium" in message[0]
