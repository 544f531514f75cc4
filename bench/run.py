"""Prints the figures the issues name, one per line as `name: value unit`.

Measured in one run on this machine: a bare Flask "hello" and the checklist page, each under
gunicorn with 2 sync workers and 8 concurrent clients, in ROUNDS alternating rounds of SECONDS
each (the figures are the medians, the ratio the median of each round's ratio); the checklist
page's weight; photo processing; the PDF report.

Photo upload: the same camera JPEG added on the checklist in Chromium (390x844), with the
upload throttled to UPLOAD_KBIT kbit/s: the bytes sent once the page has made it smaller, and
the seconds from sending the request to the end of the response.

Photo: CPU time on one core (the process is pinned to one) to process a 12 MP phone JPEG
(4000x3000, a detailed scene, quality 92, EXIF with a GPS position and a quarter-turn
orientation), the median of PHOTO_RUNS runs; then the same for pure noise, the worst case.

PDF: the report of a visit with REPORT_CRITERIA criteria, all answered with a note, and
REPORT_PHOTOS evidence photos embedded as REPORT_PHOTO_EDGE px JPEG copies (the report itself
embeds the smaller thumbnails, so this is the heavier case). Rendered in a fresh Python
process (`run.py --render-report VISIT_ID`): the first render there (which loads WeasyPrint,
Pango and the fonts), the median of REPORT_WARM_RUNS later ones (each also as CPU time, which
other work on the machine inflates less), that process's peak resident memory (its VmHWM: see
peak_rss) and the file size (MB of 1,000,000 bytes).
"""

from __future__ import annotations

import gzip
import http.cookiejar
import io
import json
import os
import re
import resource
import shutil
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
CLIENTS, SECONDS, ROUNDS = 8, 3.0, 3
PHOTO_RUNS = 9
REPORT_CRITERIA, REPORT_PHOTOS, REPORT_PHOTO_EDGE = 40, 12, 800
REPORT_WARM_RUNS = 5
UPLOAD_KBIT = 750
MB, MIB = 1_000_000, 1024 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(target: str, env: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "--config",
            str(ROOT / "gunicorn.conf.py"),
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
    try:
        run_all(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_all(work: Path) -> None:
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
    visit_id = open_visit(env)
    hello, hello_url = serve("bench.hello:app", env)
    portal, portal_url = serve("wsgi:app", env)
    try:
        opener = signed_in(portal_url)
        checklist = f"{portal_url}/visits/{visit_id}/checklist/1"
        opener.open(checklist).read()
        plain = urllib.request.build_opener()
        # Alternated, so a busy moment on the machine weighs on both sides of the ratio.
        rounds = [
            (throughput(hello_url, plain), throughput(checklist, opener)) for _ in range(ROUNDS)
        ]
        hello_rps = statistics.median(h for h, _ in rounds)
        checklist_rps = statistics.median(c for _, c in rounds)
        ratio = statistics.median(c / h for h, c in rounds)
        page = opener.open(checklist).read()
        paths = [
            p.decode() for p in re.findall(rb'(?:src|href)="(/static/[^"]+\.(?:css|js))"', page)
        ]
        paths.append("/static/vendor/govuk-frontend-6.3.0/govuk-frontend.min.js")  # imported
        assets = {path: opener.open(portal_url + path).read() for path in paths}
        try:
            upload = photo_upload(portal_url, visit_id)
        except Exception as error:  # no Chromium here: the other figures still count
            print(f"photo upload not measured: {error}", file=sys.stderr)
            upload = None
    finally:
        for process in (hello, portal):
            process.terminate()
            process.wait()

    def gz(data: bytes) -> int:
        return len(gzip.compress(data, 6))

    js = [data for path, data in assets.items() if path.endswith(".js")]
    print(f"hello_throughput: {hello_rps:.0f} req/s")
    print(f"checklist_throughput: {checklist_rps:.0f} req/s")
    print(f"checklist_vs_hello: {ratio:.3f} ratio")
    print(
        f"checklist_first_load_gzipped: {(gz(page) + sum(map(gz, assets.values()))) / 1024:.1f} KB"
    )
    print(f"checklist_js_gzipped: {sum(map(gz, js)) / 1024:.1f} KB")
    if upload:
        upload_bytes, upload_seconds = upload
        print(f"photo_upload_size: {upload_bytes / 1000:.0f} KB")
        print(f"photo_upload_at_750kbit: {upload_seconds:.1f} s")
    photo()
    from bench.image_memory import image_memory

    image_memory()
    report(env, visit_id)
    print(*__import__("bench.send_email").send_email.send_email_figures(), sep="\n")
    print(*__import__("bench.returns_import").returns_import.returns_import_figures(env), sep="\n")


def photo_upload(base: str, visit_id: int) -> tuple[int, float]:
    """A 12 MP camera JPEG added on the checklist in Chromium at a phone's size, its upload
    throttled to UPLOAD_KBIT: the bytes sent (after the page has made the photo smaller) and
    the seconds from sending the request to the end of the response."""
    from playwright.sync_api import sync_playwright

    from tests.factories import photo_like

    camera = jpeg(photo_like(0, (4000, 3000)), quality=92, exif=phone_exif())
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--headless"]
        )
        try:
            context = browser.new_context(viewport={"width": 390, "height": 844}, base_url=base)
            page = context.new_page()
            page.goto("/sign-in")
            page.get_by_label("Email address").fill("staff.hbep@example.org")
            page.get_by_label("Password", exact=True).fill("demo-portal-2026")
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_load_state()
            page.goto(f"/visits/{visit_id}/checklist/1")
            page.wait_for_load_state()
            devtools = context.new_cdp_session(page)
            devtools.send("Network.enable")
            devtools.send(
                "Network.emulateNetworkConditions",
                {
                    "offline": False,
                    "latency": 0,
                    "downloadThroughput": -1,
                    "uploadThroughput": UPLOAD_KBIT * 1000 / 8,
                },
            )
            with page.expect_response(
                lambda r: r.request.method == "POST" and r.url.endswith("/photos"),
                timeout=120_000,
            ) as sent:
                page.locator("[data-photo]").first.set_input_files(
                    {"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": camera}
                )
            response = sent.value
            response.finished()
            timing = response.request.timing
            size = int(response.request.all_headers()["content-length"])
            return size, (timing["responseEnd"] - timing["requestStart"]) / 1000
        finally:
            browser.close()


def bench_app(env: dict):
    from qa_portal import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"],
            "STORAGE_LOCAL_ROOT": env["STORAGE_LOCAL_ROOT"],
        }
    )


def open_visit(env: dict) -> int:
    """The demo's visit today, still open: the one whose checklist is filled in."""
    from sqlalchemy import select

    from qa_portal.db import db
    from qa_portal.visits.models import Visit, VisitStatus

    with bench_app(env).app_context():
        return db.session.scalars(
            select(Visit.id).where(Visit.status == VisitStatus.SCHEDULED).order_by(Visit.id)
        ).first()


def jpeg(img, **params) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", **params)
    return buffer.getvalue()


def phone_exif():
    from PIL import ExifTags, Image

    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.Base.Orientation] = 6  # stored landscape, shown portrait
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef], gps[ExifTags.GPS.GPSLatitude] = "N", (52.0, 38.0, 0.0)
    gps[ExifTags.GPS.GPSLongitudeRef], gps[ExifTags.GPS.GPSLongitude] = "W", (1.0, 17.0, 0.0)
    return exif


def photo() -> None:
    from PIL import Image

    from qa_portal import images
    from tests.factories import photo_like

    # A phone photo (a detailed scene, 3-4 MB), and the worst case: pure noise, twice the bytes.
    camera = jpeg(photo_like(0, (4000, 3000)), quality=92, exif=phone_exif())
    noise = jpeg(Image.effect_noise((4000, 3000), 40).convert("RGB"), quality=92, exif=phone_exif())
    cpus = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cpus)})  # one core
    try:
        figures = {}
        for name, data in (("photo_12mp", camera), ("photo_12mp_noise", noise)):
            timings = []
            for _ in range(PHOTO_RUNS):
                start = time.process_time()
                result = images.process_photo(data, max_bytes=len(data) + 1)
                timings.append(time.process_time() - start)
            figures[name] = (data, statistics.median(timings), result)
    finally:
        os.sched_setaffinity(0, cpus)
    data, median, result = figures["photo_12mp"]
    print(f"photo_12mp_input: {len(data) / 1024 / 1024:.1f} MB")
    print(f"photo_12mp_process: {median * 1000:.0f} ms")
    print(f"photo_stored_size: {len(result.image) / 1024:.0f} KB")
    print(f"photo_stored_long_edge: {max(result.width, result.height)} px")
    data, median, result = figures["photo_12mp_noise"]
    print(f"photo_12mp_noise_input: {len(data) / 1024 / 1024:.1f} MB")
    print(f"photo_12mp_noise_process: {median * 1000:.0f} ms")


def report_visit(env: dict, visit_id: int) -> None:
    """The demo's open visit made into a full report: REPORT_CRITERIA criteria answered with
    notes, REPORT_PHOTOS photos whose embedded copy is REPORT_PHOTO_EDGE px, judgements and
    actions."""
    from datetime import timedelta

    from PIL import Image
    from sqlalchemy import select
    from sqlalchemy.orm import joinedload

    from qa_portal import storage
    from qa_portal.accounts.models import User
    from qa_portal.db import db, utcnow
    from qa_portal.frameworks.models import Criterion, CriterionKind
    from qa_portal.visits.models import (
        Answer,
        AreaJudgement,
        FollowUpAction,
        Judgement,
        Photo,
        Visit,
    )
    from qa_portal.visits.photos import add_photo
    from tests.factories import photo_like

    with bench_app(env).app_context():
        # The provider is named in every audit line about the visit, and is never lazy-loaded.
        visit = db.session.get(Visit, visit_id, options=[joinedload(Visit.provider)])
        for earlier in db.session.scalars(select(Photo).where(Photo.visit_id == visit.id)):
            db.session.delete(earlier)  # the upload's: the report has exactly its own photos
        lead = db.session.get(User, visit.lead_id)
        areas = list(visit.framework.areas)
        criteria = [c for area in areas for c in area.criteria]
        for extra in range(REPORT_CRITERIA - len(criteria)):
            area, model = areas[extra % len(areas)], criteria[extra]
            criterion = Criterion(
                area_id=area.id,
                position=len(area.criteria) + 1,
                code=f"bench-{extra}",
                kind=model.kind,
                prompt=model.prompt,
                guidance=model.guidance,
                source=model.source,
            )
            area.criteria.append(criterion)
            criteria.append(criterion)
        db.session.flush()
        assert len(criteria) == REPORT_CRITERIA, len(criteria)
        now = utcnow()
        for index, criterion in enumerate(criteria):
            rating = criterion.scale[index % 3 if criterion.kind is CriterionKind.RATING else 0]
            db.session.add(
                Answer(
                    visit_id=visit.id,
                    criterion_id=criterion.id,
                    rating=rating,
                    note=(
                        f"Seen on the visit ({rating.label.lower()}): the centre manager "
                        "talked us through the records and two pupils showed us their work. "
                        "Staff knew the procedure and could say who to go to and when."
                    ),
                    answered_at=now,
                    answered_by_id=lead.id,
                )
            )
        backend = storage.get_storage()
        for index in range(REPORT_PHOTOS):
            _, photo = add_photo(
                lead,
                visit,
                client_id=f"00000000-0000-4000-8000-{index:012d}",
                criterion_id=criteria[index * 3].id,
                caption=f"Evidence photo {index + 1}",
                data=jpeg(photo_like(index), quality=92),
                max_bytes=20 * MIB,
            )
            with Image.open(io.BytesIO(backend.get(photo.image_key))) as stored:
                edge = REPORT_PHOTO_EDGE
                stored.draft("RGB", (edge, edge))
                stored.thumbnail((edge, edge), Image.Resampling.HAMMING)
                copy = jpeg(stored, quality=80, optimize=True, progressive=True)
            photo.thumbnail_key = storage.new_key(f"visits/{visit.id}/photos", ".jpg")
            backend.put(photo.thumbnail_key, copy, "image/jpeg")
        for area in areas:
            db.session.add(
                AreaJudgement(
                    visit_id=visit.id,
                    area_id=area.id,
                    proposed=Judgement.AMBER,
                    judgement=Judgement.AMBER,
                )
            )
        visit.overall = Judgement.AMBER
        visit.strengths = "Pupils are well supervised and the staff know them well. " * 3
        visit.development = "Records of attendance should reach schools on the same day. " * 3
        for index in range(5):
            db.session.add(
                FollowUpAction(
                    visit_id=visit.id,
                    description=f"Action {index + 1}: send the updated risk assessment.",
                    owner="Centre manager",
                    due_on=(now + timedelta(days=30)).date(),
                )
            )
        db.session.commit()


def report(env: dict, visit_id: int) -> None:
    report_visit(env, visit_id)
    rendered = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--render-report", str(visit_id)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        check=True,
    )
    figures = json.loads(rendered.stdout)
    wall, cpu = figures["wall"], figures["cpu"]
    print(f"pdf_report_first: {wall[0]:.2f} s")
    print(f"pdf_report_warm: {statistics.median(wall[1:]):.2f} s")
    # CPU time of the same renders: what the wall times would be on an otherwise idle machine.
    print(f"pdf_report_first_cpu: {cpu[0]:.2f} s")
    print(f"pdf_report_warm_cpu: {statistics.median(cpu[1:]):.2f} s")
    print(f"pdf_report_peak_memory: {figures['peak_rss'] / MIB:.0f} MiB")
    print(f"pdf_report_size: {figures['size'] / MB:.2f} MB")


def render_report_here(visit_id: int) -> None:
    """Child process: render the visit's report, first and warm, and print the timings as JSON.
    Each render starts from a fresh database session, as a request would."""
    env = os.environ
    with bench_app(env).app_context():
        from sqlalchemy.orm import joinedload

        from qa_portal.db import db
        from qa_portal.visits.models import Visit
        from qa_portal.visits.reports import render_report

        wall, cpu = [], []
        for _ in range(1 + REPORT_WARM_RUNS):
            db.session.remove()
            start, start_cpu = time.perf_counter(), time.process_time()
            visit = db.session.get(Visit, visit_id, options=[joinedload(Visit.provider)])
            data = render_report(visit)
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
    print(json.dumps({"wall": wall, "cpu": cpu, "size": len(data), "peak_rss": peak_rss()}))


def peak_rss() -> int:
    """This process's peak resident memory in bytes, since it started running Python.

    Not ru_maxrss, from getrusage or wait4: Linux carries that over exec, so a child started
    by a process of 190 MiB reports at least 190 MiB whatever it uses itself. VmHWM belongs to
    the memory of the program now running."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


if __name__ == "__main__":
    if sys.argv[1:2] == ["--render-report"]:
        render_report_here(int(sys.argv[2]))
    else:
        main()
