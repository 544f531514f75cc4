"""A real gunicorn, started as `make run` and the benchmarks start it, does not name itself."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request

from tests.conftest import ROOT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gunicorn_with_the_portal_config_sends_no_software_name():
    port = _free_port()
    process = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "--config",
            str(ROOT / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--log-level",
            "warning",
            "--chdir",
            str(ROOT / "bench"),
            "hello:app",
        ],
        cwd=ROOT,
    )
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as response:
                    server = response.headers.get("Server", "")
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("gunicorn did not start")
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert "gunicorn" not in server.lower()
    assert not any(ch.isdigit() for ch in server), server  # no version either
