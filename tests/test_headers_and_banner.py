"""What every response says about caching and signing out, and the banner's markup."""

from __future__ import annotations

import io
import re
import uuid

import pytest
from PIL import Image

from qa_portal.db import db
from tests import factories


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise((400, 300), 40).convert("RGB").save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.mark.parametrize("size", ["image", "thumbnail"])
def test_photos_are_never_kept_in_a_browser_cache(login, size):
    lead = factories.user("staff")
    visit = factories.visit(lead)
    db.session.commit()
    client = login(lead)
    sent = client.post(
        f"/visits/{visit.id}/photos",
        data={
            "client_id": str(uuid.uuid4()),
            "criterion_id": str(visit.framework.areas[0].criteria[0].id),
            "caption": "",
            "photo": (io.BytesIO(_jpeg()), "IMG.jpg"),
        },
        content_type="multipart/form-data",
    )
    url = sent.json["thumbnail"].replace("/thumbnail", f"/{size}")
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_compliance_documents_are_never_kept_in_a_browser_cache(login):
    provider = factories.provider()
    item = factories.item(provider, "public_liability", stored=True)
    admin = factories.user("admin")
    db.session.commit()
    response = login(admin).get(f"/providers/{provider.id}/compliance/{item.id}/document")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_signing_out_clears_the_browser_cache_but_not_work_waiting_to_send(login):
    user = factories.user("staff")
    db.session.commit()
    response = login(user).post("/sign-out")
    assert response.status_code == 302
    # Not "storage": it would delete the checklist's unsent answers and photos, which the
    # sign-out warning promises stay on the phone until the next sign-in. Not "cookies": the
    # new cookie carries the "You have signed out" message.
    assert response.headers["Clear-Site-Data"] == '"cache"'


def test_a_flash_banner_heading_is_markup_and_its_message_escaped_once(app, login):
    user = factories.user("staff")
    db.session.commit()
    client = login(user)
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Saved <b>Smith & Sons</b>")]
    page = client.get("/account").get_data(as_text=True)
    assert '<p class="govuk-notification-banner__heading">' in page
    assert "&lt;p class=" not in page
    heading = re.search(r'<p class="govuk-notification-banner__heading">(.*?)</p>', page).group(1)
    assert heading.strip() == "Saved &lt;b&gt;Smith &amp; Sons&lt;/b&gt;"
