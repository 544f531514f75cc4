"""HTML to PDF with WeasyPrint, shared by every report; fetches only the portal's own files."""

from __future__ import annotations

import base64
import binascii
import ctypes.util
import logging
import mimetypes
import posixpath
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, unquote_to_bytes

from flask import current_app, render_template


@contextmanager
def _no_library_search() -> Iterator[None]:
    """WeasyPrint loads Pango and its friends trying several names for each library, and cffi
    looks up every name that is not a file with ctypes.util.find_library, which on Linux runs
    ldconfig, gcc and ld for each miss: 16 misses, up to a second before the first report.
    Every list of names also holds the Linux soname itself (libpango-1.0.so.0), which the
    dynamic loader finds directly, so on Linux the lookups are skipped while WeasyPrint loads."""
    if not sys.platform.startswith("linux"):
        yield
        return
    find_library = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None
    try:
        yield
    finally:
        ctypes.util.find_library = find_library


try:
    with _no_library_search():
        import weasyprint
except OSError:  # a system where only the lookup finds the libraries: load them the slow way
    import weasyprint
from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: E402

# create_app logs at INFO; WeasyPrint's step-by-step progress messages would flood the logs.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

# Relative references in report HTML resolve against this base. The scheme is not one urljoin
# knows, so "/static/css/report.css" reaches the fetcher as written and "#anchor" stays internal.
BASE_URL = "portal:/"
STATIC_SCHEME = "static:"
RESOURCE_SCHEME = "resource:"
DATA_SCHEME = "data:"
OCTET_STREAM = "application/octet-stream"
# Types mimetypes may not know on every machine; everything else comes from mimetypes.
_STATIC_TYPES = {
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
}
# Speed over size: photos go in as they were given (JPEG passes through untouched).
WRITE_OPTIONS = {"presentational_hints": True, "optimize_images": False}

Resources = Mapping[str, tuple[bytes, str]]


class PortalURLFetcher(URLFetcher):
    """Serves only the portal's static files, in-memory `resource:` entries and `data:` URLs.

    Every other URL (file:, http:, https:, ftp:, another host, a path that climbs out of the static
    folder) raises ValueError before any network or filesystem access; WeasyPrint logs it and
    leaves the resource out. urllib's openers, which the base class sets up, are never used.
    """

    def __init__(
        self,
        static_folder: str | Path,
        *,
        static_url_path: str = "/static",
        resources: Resources | None = None,
    ) -> None:
        super().__init__(allowed_protocols=frozenset(), allow_redirects=False)
        self._static_root = Path(static_folder).resolve()
        self._static_prefix = static_url_path.rstrip("/") + "/"
        self._resources = dict(resources or {})

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        lowered = url.lower()
        if url.startswith(self._static_prefix):
            return self._static(url[len(self._static_prefix) :])
        if lowered.startswith(STATIC_SCHEME):
            return self._static(url[len(STATIC_SCHEME) :])
        if lowered.startswith(RESOURCE_SCHEME):
            return self._resource(url[len(RESOURCE_SCHEME) :])
        if lowered.startswith(DATA_SCHEME):
            return _data(url)
        raise ValueError(f"refused to fetch {url[:200]!r}: not one of the portal's own files")

    def open(self, url, data=None, timeout=None):
        """urllib's entry point, routed through `fetch` like every other."""
        full_url = getattr(url, "full_url", url)
        return self.fetch(full_url)

    def _static(self, reference: str) -> URLFetcherResponse:
        relative = unquote(reference.split("#", 1)[0].split("?", 1)[0])
        normal = posixpath.normpath(relative.lstrip("/")) if relative else ""
        if not normal or normal == "." or normal.startswith("../") or normal == "..":
            raise ValueError(f"refused static path {reference[:200]!r}")
        if "\x00" in normal or "\\" in normal:
            raise ValueError(f"refused static path {reference[:200]!r}")
        path = (self._static_root / normal).resolve()
        if not path.is_relative_to(self._static_root) or not path.is_file():
            raise ValueError(f"refused static path {reference[:200]!r}")
        return URLFetcherResponse(
            url=self._static_prefix + normal,
            body=path.read_bytes(),
            headers={"Content-Type": _static_type(path)},
        )

    def _resource(self, reference: str) -> URLFetcherResponse:
        name = unquote(reference)
        try:
            body, content_type = self._resources[name]
        except KeyError:
            raise ValueError(f"no resource named {name[:200]!r}") from None
        return URLFetcherResponse(
            url=RESOURCE_SCHEME + reference,
            body=bytes(body),
            headers={"Content-Type": content_type},
        )


def _static_type(path: Path) -> str:
    suffix = path.suffix.lower()
    return _STATIC_TYPES.get(suffix) or mimetypes.guess_type(path.name)[0] or OCTET_STREAM


def _data(url: str) -> URLFetcherResponse:
    """Decode a data: URL (RFC 2397); it carries its own bytes, so nothing is fetched."""
    header, comma, payload = url[len(DATA_SCHEME) :].partition(",")
    if not comma:
        raise ValueError("malformed data: URL")
    if header.lower().endswith(";base64"):
        header = header[: -len(";base64")]
        try:
            body = base64.b64decode(unquote_to_bytes(payload), validate=False)
        except binascii.Error as error:
            raise ValueError("malformed base64 in data: URL") from error
    else:
        body = unquote_to_bytes(payload)
    content_type = header or "text/plain;charset=US-ASCII"
    if content_type.startswith(";"):
        content_type = "text/plain" + content_type
    return URLFetcherResponse(url=url, body=body, headers={"Content-Type": unquote(content_type)})


def url_fetcher(resources: Resources | None = None) -> PortalURLFetcher:
    """The fetcher for the current app: its static folder and the given in-memory resources."""
    app = current_app
    if not app.static_folder:
        raise RuntimeError("the app has no static folder")
    return PortalURLFetcher(
        app.static_folder,
        static_url_path=app.static_url_path or "/static",
        resources=resources,
    )


def html_to_pdf(html: str, *, resources: Resources | None = None) -> bytes:
    """Convert `html` to PDF bytes. Needs an app context (for the static folder).

    `resources` maps names to (bytes, content type); HTML refers to them as `resource:<name>`,
    e.g. `<img src="resource:photo-1">`, so images held in storage need never touch a URL.
    """
    fetcher = url_fetcher(resources)
    document = weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher)
    return document.write_pdf(**WRITE_OPTIONS)


def render_pdf(template: str, *, resources: Resources | None = None, **context) -> bytes:
    """Render a Jinja template of the current app and convert it to PDF bytes."""
    return html_to_pdf(render_template(template, **context), resources=resources)
