"""The checklist is used on a weak phone signal: its first load, page and every stylesheet and
script it pulls in (imports included), stays within 60 KB gzipped, of which script 25 KB."""

from __future__ import annotations

import gzip
import re
from urllib.parse import urljoin

from qa_portal.db import db
from tests import factories

ASSET = re.compile(r'<(?:link[^>]+href|script[^>]+src)="(/static/[^"]+)"')
IMPORT = re.compile(r'(?:import\s*(?:[^"\']*?from\s*)?|import\()\s*["\'](\.{1,2}/[^"\']+)["\']')
SERVICE_WORKER = re.compile(r'register\(\s*["\']([^"\']+)["\']')


def gzipped(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


def test_the_checklist_first_load_is_light(login):
    lead = factories.user("staff")
    visit = factories.visit(lead)
    db.session.commit()
    client = login(lead)
    # The largest area: the heaviest page of the checklist.
    number = (
        max(range(len(visit.framework.areas)), key=lambda i: len(visit.framework.areas[i].criteria))
        + 1
    )
    page = client.get(f"/visits/{visit.id}/checklist/{number}")
    assert page.status_code == 200
    sizes = {"page": gzipped(page.data)}
    pending = ASSET.findall(page.data.decode())
    seen: set[str] = set()
    while pending:
        path = pending.pop()
        if path in seen or path.endswith((".ico", ".svg", ".png")):
            continue
        seen.add(path)
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.get_data()
        response.close()
        sizes[path] = gzipped(body)
        if path.endswith(".js"):
            text = body.decode()
            pending += [urljoin(path, target) for target in IMPORT.findall(text)]
            pending += [target for target in SERVICE_WORKER.findall(text) if target.startswith("/")]
    script = sum(size for path, size in sizes.items() if path.endswith(".js"))
    total = sum(sizes.values())
    assert any(path.endswith("checklist.js") for path in sizes), sizes
    assert any("govuk-frontend" in path and path.endswith(".css") for path in sizes), sizes
    assert script <= 25 * 1024, sizes
    assert total <= 60 * 1024, sizes
