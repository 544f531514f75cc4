"""PDF reports: real WeasyPrint output, and a fetcher that serves only the portal's own files."""

from __future__ import annotations

import builtins
import gc
import http.server
import io
import socket
import subprocess
import threading
import urllib.request
from pathlib import Path

import pytest
import weasyprint
from jinja2 import ChoiceLoader, DictLoader
from PIL import Image
from pypdf import PdfReader

from qa_portal import pdf

ROOT = Path(__file__).resolve().parents[2]
FAVICON = ROOT / "static" / "images" / "favicon.svg"
HOSTNAME = Path("/etc/hostname")

REPORT = """{% extends "pdf/base.html" %}
{% block title %}Visit to {{ provider }}{% endblock %}
{% block content %}
<h1>Visit to {{ provider }}</h1>
<h2>Ratings</h2>
<table>
  <thead><tr><th>Area</th><th>Rating</th></tr></thead>
  <tbody>
    {% for area, rating in ratings %}
    <tr>
      <td>{{ area }}</td>
      <td><span class="rating rating--{{ rating }}">{{ rating }}</span></td>
    </tr>
    {% endfor %}
  </tbody>
</table>
<p class="notes">{{ notes }}</p>
{% endblock %}
"""


def pdf_text(data: bytes) -> str:
    result = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    )
    return result.stdout.decode()


def png(width: int = 8, height: int = 8) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (29, 112, 184)).save(buffer, format="PNG")
    return buffer.getvalue()


def page(body: str, head: str = "") -> str:
    return (
        '<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>Test</title>'
        f"{head}</head><body>{body}</body></html>"
    )


@pytest.fixture
def fetcher(app):
    return pdf.url_fetcher({"photo": (png(), "image/png")})


@pytest.fixture
def report_template(app, monkeypatch):
    """A report template served from memory, ahead of the app's own templates, for one test."""
    name = "tests/pdf/report.html"
    loader = ChoiceLoader([DictLoader({name: REPORT}), app.jinja_env.loader])
    monkeypatch.setattr(app.jinja_env, "loader", loader)
    return name


@pytest.fixture
def fetch_spy(monkeypatch):
    """Every URL the portal fetcher is asked for, with what became of it."""
    calls: list[tuple[str, str]] = []
    real_fetch = pdf.PortalURLFetcher.fetch

    def spy(self, url, headers=None):
        try:
            response = real_fetch(self, url, headers)
        except ValueError:
            calls.append((url, "refused"))
            raise
        calls.append((url, "served"))
        return response

    monkeypatch.setattr(pdf.PortalURLFetcher, "fetch", spy)
    return calls


@pytest.fixture
def http_sink():
    """An HTTP server on 127.0.0.1 that records the path of every request it receives."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"body { color: red }")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    # The sink works: a direct request (no proxies) is recorded.
    urllib.request.build_opener(urllib.request.ProxyHandler({})).open(base + "/ping").read()
    assert requests == ["/ping"]
    requests.clear()
    try:
        yield base, requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def hostile_urls(base: str) -> list[str]:
    return [
        "file:///etc/passwd",
        "file:///etc/hostname",
        f"{base}/x",
        "https://example.org/x.png",
        "/static/../qa_portal/config.py",
        "/static/../../etc/passwd",
        "ftp://x/y",
    ]


# Rendering


def test_render_pdf_renders_a_template_with_headings_and_tables(app, report_template):
    with app.test_request_context():
        data = pdf.render_pdf(
            report_template,
            provider="Riverside Learning Centre",
            ratings=[("Safeguarding", "green"), ("Attendance", "amber"), ("Curriculum", "red")],
            notes="Learners were <b>engaged</b> & settled.",
        )

    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    assert "Visit to Riverside Learning Centre" in text
    assert "Ratings" in text
    for cell in ("Area", "Rating", "Safeguarding", "green", "Attendance", "amber", "Curriculum"):
        assert cell in text
    assert "Learners were <b>engaged</b> & settled." in text  # escaped, so shown as typed
    assert "Page 1 of 1" in text  # report.css was fetched: its @page footer is there
    title = PdfReader(io.BytesIO(data)).metadata.title
    assert title == "Visit to Riverside Learning Centre - AP QA Portal"


def test_html_to_pdf_page_numbers_count_every_page(app):
    rows = "".join(f"<tr><td>Row {n}</td><td>{n * 7}</td></tr>" for n in range(70))
    html = page(
        f"<h1>Long report</h1><table><tbody>{rows}</tbody></table>",
        head='<link rel="stylesheet" href="/static/css/report.css">',
    )
    with app.app_context():
        data = pdf.html_to_pdf(html)

    pages = len(PdfReader(io.BytesIO(data)).pages)
    assert pages >= 2
    text = pdf_text(data)
    assert f"Page 1 of {pages}" in text
    assert f"Page {pages} of {pages}" in text
    assert "Row 69" in text


def test_static_files_are_served_from_the_static_folder(app, fetcher):
    for url in ("/static/images/favicon.svg", "static:images/favicon.svg"):
        response = fetcher(url)
        assert response.read() == FAVICON.read_bytes()
        assert response.content_type == "image/svg+xml"
        response.close()
    css = fetcher("/static/css/report.css")
    assert css.content_type == "text/css"
    assert b"@page" in css.read()
    css.close()


def test_a_static_image_in_the_html_is_fetched(app, fetch_spy):
    html = page('<h1>Logo</h1><img src="/static/images/favicon.svg" width="32" height="32">')
    with app.app_context():
        data = pdf.html_to_pdf(html)

    assert ("/static/images/favicon.svg", "served") in fetch_spy
    assert "Logo" in pdf_text(data)


def test_resource_images_are_embedded(app, fetch_spy):
    html = page('<h1>Photos</h1><img src="resource:photo one" alt="Classroom">')
    with app.app_context():
        data = pdf.html_to_pdf(html, resources={"photo one": (png(40, 30), "image/png")})

    assert ("resource:photo%20one", "served") in fetch_spy
    images = PdfReader(io.BytesIO(data)).pages[0].images
    assert len(images) >= 1
    assert images[0].image.size == (40, 30)


def test_jpeg_photos_go_into_the_pdf_as_they_are(app):
    photo = io.BytesIO()
    Image.effect_noise((400, 300), 30).convert("RGB").save(photo, "JPEG", quality=80)
    html = page('<img src="resource:photo" alt="Evidence">')
    with app.app_context():
        data = pdf.html_to_pdf(html, resources={"photo": (photo.getvalue(), "image/jpeg")})

    # Neither decoded and re-encoded (slower, and a bigger or blurrier file) nor recompressed.
    assert photo.getvalue() in data


def test_a_render_leaves_the_collector_running_for_the_rest_of_the_process(app, monkeypatch):
    """The collector is the whole process's: a report rendered on one of a worker's threads
    must not switch it off under the requests served on the others."""
    seen = []
    write_pdf = pdf.weasyprint.HTML.write_pdf

    def write_and_look(document, *args, **kwargs):
        seen.append(gc.isenabled())
        return write_pdf(document, *args, **kwargs)

    monkeypatch.setattr(pdf.weasyprint.HTML, "write_pdf", write_and_look)
    with app.app_context():
        pdf.html_to_pdf(page("<p>Collector on</p>"))
    assert seen == [True] and gc.isenabled()


def test_data_urls_carry_their_own_bytes(app, fetcher):
    response = fetcher("data:text/css;charset=utf-8,h1%20%7B%20color%3A%20red%20%7D")
    assert response.read() == b"h1 { color: red }"
    assert response.content_type == "text/css"
    response = fetcher("data:image/png;base64,iVBORw0KGgo=")
    assert response.read() == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError):
        fetcher("data:text/plain")


def test_a_missing_resource_is_left_out(app, fetcher):
    with pytest.raises(ValueError):
        fetcher("resource:not-there")
    with app.app_context():
        data = pdf.html_to_pdf(page('<h1>No photo</h1><img src="resource:not-there">'))
    assert "No photo" in pdf_text(data)


# The fetcher never fetches outside


@pytest.fixture
def no_io(monkeypatch):
    """Make any socket connection or file open fail the test loudly."""

    def forbidden(*args, **kwargs):
        raise AssertionError(f"I/O attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", forbidden)
    monkeypatch.setattr(socket, "create_connection", forbidden)
    monkeypatch.setattr(builtins, "open", forbidden)
    monkeypatch.setattr(io, "open", forbidden)
    monkeypatch.setattr(Path, "resolve", forbidden)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "file:///etc/hostname",
        "FILE:///etc/passwd",
        "file://localhost/etc/passwd",
        "http://127.0.0.1:9/x",
        "https://example.org/x.png",
        "//example.org/x.png",
        "http://169.254.169.254/latest/meta-data/",
        "ftp://x/y",
        "gopher://x/y",
        "/etc/passwd",
        "etc/passwd",
        "../qa_portal/config.py",
        "portal:/static/images/favicon.svg",
        "javascript:alert(1)",
        "",
    ],
)
def test_the_fetcher_refuses_other_schemes_without_io(fetcher, no_io, url):
    with pytest.raises(ValueError):
        fetcher(url)


@pytest.mark.parametrize(
    "url",
    [
        "/static/../qa_portal/config.py",
        "/static/../../etc/passwd",
        "/static/images/../../qa_portal/config.py",
        "/static/%2e%2e/qa_portal/config.py",
        "/static/..%2f..%2fetc/passwd",
        "static:../qa_portal/config.py",
        "static:/../../etc/passwd",
        "/static/",
        "/static/.",
    ],
)
def test_the_fetcher_refuses_climbing_out_of_the_static_folder_without_io(fetcher, no_io, url):
    with pytest.raises(ValueError):
        fetcher(url)


@pytest.mark.parametrize(
    "url",
    [
        "/static//etc/passwd",
        "static://etc/passwd",
        "/static/images",
        "/static/images/missing.svg",
        "/static/images/favicon.svg%00.png",
    ],
)
def test_the_fetcher_refuses_what_is_not_a_static_file(fetcher, url):
    with pytest.raises(ValueError):
        fetcher(url)


def test_the_fetcher_refuses_symlinks_out_of_the_static_folder(tmp_path):
    static = tmp_path / "static"
    static.mkdir()
    secret = tmp_path / "secret.css"
    secret.write_text("body { color: red }")
    (static / "inside.css").write_text("h1 { color: blue }")
    (static / "escape.css").symlink_to(secret)
    fetcher = pdf.PortalURLFetcher(static)

    assert fetcher("/static/inside.css").read() == b"h1 { color: blue }"
    with pytest.raises(ValueError):
        fetcher("/static/escape.css")


def test_the_fetcher_refuses_every_hostile_url(fetcher, http_sink):
    base, requests = http_sink
    for url in hostile_urls(base):
        with pytest.raises(ValueError):
            fetcher(url)
    assert requests == []


def hostile_document(base: str) -> str:
    urls = hostile_urls(base)
    head = "".join(f'<link rel="stylesheet" href="{url}">' for url in urls)
    head += "".join(f'<link rel="attachment" href="{url}">' for url in urls)
    head += "<style>"
    head += "".join(f'@import url("{url}");' for url in urls)
    head += "".join(
        f'@font-face {{ font-family: F{n}; src: url("{url}"); }}' for n, url in enumerate(urls)
    )
    head += "".join(f'.bg{n} {{ background-image: url("{url}"); }}' for n, url in enumerate(urls))
    head += "</style>"
    body = "<h1>Hostile notes</h1>"
    body += "".join(f'<img src="{url}" alt="">' for url in urls)
    body += "".join(f'<object data="{url}"></object>' for url in urls)
    body += "".join(f'<a rel="attachment" href="{url}">file {n}</a>' for n, url in enumerate(urls))
    body += "".join(
        f'<p class="bg{n}" style="font-family: F{n}; list-style-image: url(\'{url}\')">x</p>'
        for n, url in enumerate(urls)
    )
    body += '<svg width="10" height="10">'
    body += "".join(f'<image href="{url}" width="10" height="10"/>' for url in urls)
    body += "</svg>"
    return page(body, head=head)


def test_a_document_full_of_hostile_urls_renders_without_fetching_any(app, http_sink, fetch_spy):
    base, requests = http_sink
    with app.app_context():
        data = pdf.html_to_pdf(hostile_document(base))

    assert data.startswith(b"%PDF-")
    assert requests == []
    assert fetch_spy, "WeasyPrint asked the portal fetcher for the hostile URLs"
    assert {outcome for _, outcome in fetch_spy} == {"refused"}
    asked = {url for url, _ in fetch_spy}
    assert {"file:///etc/passwd", "file:///etc/hostname", f"{base}/x", "ftp://x/y"} <= asked
    reader = PdfReader(io.BytesIO(data))
    assert reader.attachments == {}
    text = pdf_text(data)
    assert "Hostile notes" in text
    assert "root:" not in text
    hostname = HOSTNAME.read_text().strip() if HOSTNAME.exists() else ""
    if hostname:
        assert hostname not in text.split()


def test_weasyprints_own_fetcher_would_have_fetched_them(http_sink, monkeypatch):
    """Control: the same markup does reach the server when the portal fetcher is not used."""
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    base, requests = http_sink
    local = [f"{base}/x"]
    html = page(
        f'<img src="{local[0]}"><p style="background: url({local[0]}?bg)">x</p>',
        head=f'<link rel="stylesheet" href="{local[0]}?css">',
    )
    opener = weasyprint.urls.URLFetcher(timeout=2)
    weasyprint.HTML(string=html, base_url=pdf.BASE_URL, url_fetcher=opener).write_pdf()
    assert requests
