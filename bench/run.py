"""Prints the figures the issues name, one per line as `name: value unit`.

Measured in one run on this machine: a bare Flask "hello" and the checklist page, each under
gunicorn with 2 sync workers and 8 concurrent clients; photo processing; the PDF report; the
checklist page's weight.
"""

from __future__ import annotations

import gzip
import http.cookiejar
import io
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CLIENTS, SECONDS = 8, 5.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(target: str, env: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--log-level",
            "warning",
            target,
        ],
        cwd=ROOT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/healthz" if "wsgi" in target else url, timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    return process, url


def throughput(url: str, opener) -> float:
    done, stop = [0] * CLIENTS, time.monotonic() + SECONDS

    def worker(index: int) -> None:
        while time.monotonic() < stop:
            with opener.open(url, timeout=10) as response:
                response.read()
            done[index] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / SECONDS


def signed_in(base: str):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/sign-in").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode(
        {"csrf_token": token, "email": "staff.hbep@example.org", "password": "demo-portal-2026"}
    ).encode()
    opener.open(base + "/sign-in", data=form).read()
    return opener


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="qa-portal-bench-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{work}/bench.sqlite3",
        "STORAGE_LOCAL_ROOT": str(work / "uploads"),
        "PYTHONPATH": str(ROOT),
    }
    subprocess.run(
        [str(ROOT / ".venv/bin/flask"), "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [str(ROOT / ".venv/bin/flask"), "seed-demo"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    hello, hello_url = serve("bench.hello:app", env)
    portal, portal_url = serve("wsgi:app", env)
    try:
        opener = signed_in(portal_url)
        checklist = f"{portal_url}/visits/1/checklist/1"
        opener.open(checklist).read()
        plain = urllib.request.build_opener()
        hello_rps = throughput(hello_url, plain)
        checklist_rps = throughput(checklist, opener)
        page = opener.open(checklist).read()
        paths = [
            p.decode() for p in re.findall(rb'(?:src|href)="(/static/[^"]+\.(?:css|js))"', page)
        ]
        paths.append("/static/vendor/govuk-frontend-6.3.0/govuk-frontend.min.js")  # imported
        assets = {path: opener.open(portal_url + path).read() for path in paths}
    finally:
        for process in (hello, portal):
            process.terminate()
            process.wait()

    def gz(data: bytes) -> int:
        return len(gzip.compress(data, 6))

    js = [data for path, data in assets.items() if path.endswith(".js")]
    print(f"hello_throughput: {hello_rps:.0f} req/s")
    print(f"checklist_throughput: {checklist_rps:.0f} req/s")
    print(f"checklist_vs_hello: {checklist_rps / hello_rps:.3f} ratio")
    print(
        f"checklist_first_load_gzipped: {(gz(page) + sum(map(gz, assets.values()))) / 1024:.1f} KB"
    )
    print(f"checklist_js_gzipped: {sum(map(gz, js)) / 1024:.1f} KB")
    photo_and_pdf(env)


def photo_and_pdf(env: dict) -> None:
    from PIL import Image

    from qa_portal import create_app, images

    buffer = io.BytesIO()
    Image.effect_noise((4000, 3000), 40).convert("RGB").save(buffer, "JPEG", quality=92)
    data, timings = buffer.getvalue(), []
    for _ in range(5):
        start = time.process_time()
        result = images.process_photo(data, max_bytes=len(data) + 1)
        timings.append(time.process_time() - start)
    print(f"photo_12mp_process: {statistics.median(timings) * 1000:.0f} ms")
    print(f"photo_stored_size: {len(result.image) / 1024:.0f} KB")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"],
            "STORAGE_LOCAL_ROOT": env["STORAGE_LOCAL_ROOT"],
        }
    )
    with app.app_context():
        from qa_portal.db import db
        from qa_portal.visits.models import Visit
        from qa_portal.visits.signoff import render_report

        visit = db.session.get(Visit, 1)
        start = time.perf_counter()
        first = render_report(visit)
        cold = time.perf_counter() - start
        warm = []
        for _ in range(3):
            start = time.perf_counter()
            render_report(visit)
            warm.append(time.perf_counter() - start)
    print(f"pdf_report_first: {cold:.2f} s")
    print(f"pdf_report_warm: {statistics.median(warm):.2f} s")
    print(f"pdf_report_size: {len(first) / 1024:.0f} KB")


if __name__ == "__main__":
    main()
