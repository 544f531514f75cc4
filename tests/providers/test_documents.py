"""Uploading, verifying and downloading compliance documents; refusing bad files whole."""

from __future__ import annotations

import io
import os
from datetime import date
from pathlib import Path

import pytest
from PIL import ExifTags, Image, ImageDraw, PngImagePlugin
from sqlalchemy import func, select

from qa_portal import images, storage
from qa_portal.db import db
from qa_portal.providers import services
from qa_portal.providers.models import ComplianceItem, ItemStatus
from tests import factories
from tests.images.samples import png_16bit_rgba
from tests.storage.conftest import (  # noqa: F401 (fixtures: each test on local and S3 storage)
    local_storage,
    moto_url,
    s3_client,
    s3_storage,
    shared_s3_storage,
)


def stored_files(app) -> list[Path]:
    return [p for p in Path(app.config["STORAGE_LOCAL_ROOT"]).rglob("*") if p.is_file()]


def item_count() -> int:
    return db.session.scalar(select(func.count()).select_from(ComplianceItem))


def upload_form(kind_code="public_liability", data=None, filename="certificate.pdf", **over):
    today = date.today()
    form = {
        "kind_id": str(factories.kind(kind_code).id),
        "reference": "PL-1",
        "issue_date": [str(today.day), str(today.month), str(today.year)],
        "expiry_date": [str(today.day), str(today.month), str(today.year + 1)],
        "cover_amount": "10000000",
        "document": (io.BytesIO(factories.pdf_bytes() if data is None else data), filename),
    }
    form.update(over)
    return form


@pytest.fixture
def provider_user(login):
    provider = factories.compliant_provider("Upload Test Ltd")
    user = factories.user("provider", provider=provider)
    db.session.commit()
    return provider, login(user)


def test_provider_uploads_a_renewal_that_awaits_verification(app, provider_user, login):
    provider, client = provider_user
    before = len(stored_files(app))
    response = client.post(
        f"/providers/{provider.id}/compliance/new",
        data=upload_form(),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    item = db.session.scalars(
        select(ComplianceItem).where(ComplianceItem.reference == "PL-1")
    ).one()
    assert item.status is ItemStatus.AWAITING_VERIFICATION
    assert len(stored_files(app)) == before + 1
    assert storage.get_storage().get(item.document_key).startswith(b"%PDF")

    staff = factories.user("staff")
    db.session.commit()
    staff_client = login(staff)
    assert "Awaiting verification" in staff_client.get(f"/providers/{provider.id}").data.decode()
    staff_client.post(
        f"/providers/{provider.id}/compliance/{item.id}",
        data={"decision": "verify", "note": "Checked with the insurer"},
    )
    db.session.refresh(item)
    assert item.status is ItemStatus.VERIFIED and item.verified_by_id == staff.id


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"MZ" + b"\0" * 500, "certificate.pdf", "The selected file must be a PDF, JPG or PNG"),
        (b"", "empty.pdf", "The selected file is empty"),
        (
            b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog",
            "cut-off.pdf",
            "The selected file is not a readable PDF",
        ),
        (
            b"%PDF-1.4\nnonsense that is not a pdf at all\n%%EOF",
            "corrupt.pdf",
            "The selected file is not a readable PDF",
        ),
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(app, provider_user, data, filename, message):
    provider, client = provider_user
    before_files, before_items = len(stored_files(app)), item_count()
    response = client.post(
        f"/providers/{provider.id}/compliance/new",
        data=upload_form(data=data, filename=filename),
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    page = response.data.decode()
    assert message in page and "There is a problem" in page
    assert 'id="document-error"' in page  # next to the field
    assert (len(stored_files(app)), item_count()) == (before_files, before_items)


def test_file_over_the_limit_is_refused(app, provider_user, monkeypatch):
    provider, client = provider_user
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 2000)
    before = item_count()
    response = client.post(
        f"/providers/{provider.id}/compliance/new",
        data=upload_form(data=factories.pdf_bytes() + b" " * 2500),
        content_type="multipart/form-data",
    )
    assert "The selected file must be smaller than" in response.data.decode()
    huge = client.post(
        f"/providers/{provider.id}/compliance/new",
        data=upload_form(data=b"%PDF" + b"0" * 200_000),
        content_type="multipart/form-data",
    )
    assert huge.status_code == 413
    assert item_count() == before


def test_expiry_before_issue_is_refused(app, provider_user):
    provider, client = provider_user
    before = len(stored_files(app))
    response = client.post(
        f"/providers/{provider.id}/compliance/new",
        data=upload_form(expiry_date=["1", "1", "2020"]),
        content_type="multipart/form-data",
    )
    assert "The expiry date must be on or after the issue date" in response.data.decode()
    assert len(stored_files(app)) == before


def test_a_failed_database_write_leaves_no_orphan_file(app, provider_user, monkeypatch):
    provider, client = provider_user
    before = len(stored_files(app))

    def fail(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("qa_portal.providers.services.audit.record", fail)
    with pytest.raises(RuntimeError):
        client.post(
            f"/providers/{provider.id}/compliance/new",
            data=upload_form(),
            content_type="multipart/form-data",
        )
    assert len(stored_files(app)) == before


@pytest.fixture(params=["local", "s3"])
def on_storage(app, monkeypatch, request):
    """The portal on local or S3 storage; returns a function listing every stored key."""
    backend = request.getfixturevalue(f"{request.param}_storage")
    monkeypatch.setitem(app.extensions, "storage", backend)
    return lambda: sorted(o.key for o in backend.objects("providers"))


def test_a_document_refused_after_it_was_stored_leaves_nothing_in_storage(
    login, on_storage, monkeypatch
):
    """Verifying on upload breaks a rule after the file is stored: the upload is refused, the
    transaction rolled back, and the file goes with it."""
    provider = factories.compliant_provider("Verify On Upload Ltd")
    staff = factories.user("staff")
    db.session.commit()

    def refuse(*args, **kwargs):
        raise services.RegisterError("This document has already been checked", "note")

    monkeypatch.setattr(services, "verify_item", refuse)
    response = login(staff).post(
        f"/providers/{provider.id}/compliance/new",
        data=upload_form(verify_now="y"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "This document has already been checked" in response.data.decode()
    assert on_storage() == []


def test_download_streams_the_document_and_is_audited(provider_user):
    provider, client = provider_user
    item = factories.item(provider, "health_safety_policy", stored=True)
    db.session.commit()
    response = client.get(f"/providers/{provider.id}/compliance/{item.id}/document")
    assert response.status_code == 200
    assert response.data.startswith(b"%PDF")
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Cache-Control"] == "no-store"
    from qa_portal.audit import AuditEvent

    assert db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "document_downloaded")
    ).one()


def test_provider_cannot_reach_another_providers_documents(provider_user):
    _, client = provider_user
    other = factories.provider("Someone Else Ltd")
    item = factories.item(other, "public_liability", stored=True)
    db.session.commit()
    assert client.get(f"/providers/{other.id}/compliance/{item.id}/document").status_code == 404
    assert client.get(f"/providers/{other.id}/compliance/{item.id}").status_code == 404
    # The object key is unguessable and no route serves storage by key.
    for guess in (
        f"/{item.document_key}",
        f"/static/{item.document_key}",
        f"/uploads/{item.document_key}",
        "/static/../instance/uploads/",
    ):
        assert client.get(guess).status_code == 404
    assert len(Path(item.document_key).stem) == 32


def test_head_sees_states_but_not_documents(login):
    provider = factories.compliant_provider()
    item = factories.item(provider, "public_liability", stored=True)
    db.session.commit()
    client = login(factories.user("head"))
    page = client.get(f"/providers/{provider.id}").data.decode()
    assert "Compliant" in page and "/document" not in page
    assert client.get(f"/providers/{provider.id}/compliance/{item.id}/document").status_code == 403


def test_a_retried_upload_is_stored_once(app, provider_user):
    provider, client = provider_user
    before_files, before_items = len(stored_files(app)), item_count()
    pdf = factories.pdf_bytes("Retry")
    for _ in range(3):
        response = client.post(
            f"/providers/{provider.id}/compliance/new",
            data=upload_form(data=pdf),
            content_type="multipart/form-data",
        )
        assert response.status_code == 302
    assert (len(stored_files(app)), item_count()) == (before_files + 1, before_items + 1)


def test_a_large_document_within_the_upload_limit_is_accepted(app, provider_user, monkeypatch):
    # Bigger than an ordinary form may be (1 MiB), smaller than the upload limit: a scan.
    provider, client = provider_user
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=200, height=200)
    scan = DecodedStreamObject()
    scan.set_data(b"% " + os.urandom(600_000).hex().encode() + b"\n")
    page[NameObject("/Contents")] = writer._add_object(scan)
    buffer = io.BytesIO()
    writer.write(buffer)
    data = buffer.getvalue()
    assert len(data) > 1024 * 1024
    response = client.post(
        f"/providers/{provider.id}/compliance/new",
        data=upload_form(data=data),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302


def certificate_photo(size=(4000, 3000)) -> bytes:
    """A phone photo of a certificate, with its GPS position, XMP and a comment."""
    picture = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(picture)
    for top in range(200, size[1] - 200, 120):
        draw.rectangle((300, top, size[0] - 300, top + 40), fill=(30, 30, 30))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps.update({1: "N", 2: (52.0, 38.0, 1.0), 3: "W", 4: (1.0, 7.0, 2.0)})
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", exif=exif, xmp=b"<x:xmpmeta>GPS</x:xmpmeta>", comment=b"Home")
    return buffer.getvalue()


def uploaded(client, provider, data, filename) -> ComplianceItem:
    response = client.post(
        f"/providers/{provider.id}/compliance/new",
        data=upload_form(data=data, filename=filename),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.data.decode()
    return db.session.scalars(
        select(ComplianceItem).where(ComplianceItem.reference == "PL-1")
    ).one()


def test_a_photographed_certificate_is_stored_without_its_location_or_metadata(provider_user):
    provider, client = provider_user
    sent = certificate_photo()
    item = uploaded(client, provider, sent, "IMG_0042.jpg")
    stored = storage.get_storage().get(item.document_key)
    assert item.document_type == "image/jpeg" and item.document_name == "IMG_0042.jpg"
    assert not images.has_metadata(stored)
    assert b"GPS" not in stored and b"xmpmeta" not in stored and b"Home" not in stored
    with Image.open(io.BytesIO(stored)) as picture:
        assert not picture.getexif()
        assert picture.size == (1800, 2400), "turned upright, long edge 2400 pixels"
    assert item.document_size == len(stored)
    download = client.get(f"/providers/{provider.id}/compliance/{item.id}/document")
    assert download.data == stored
    again = client.post(
        f"/providers/{provider.id}/compliance/new",
        data=upload_form(data=sent, filename="IMG_0042.jpg"),
        content_type="multipart/form-data",
    )
    assert again.status_code == 302, "sent again: recognised from the file as sent"
    assert uploaded_items() == [item.id]


def uploaded_items() -> list[int]:
    return list(
        db.session.scalars(select(ComplianceItem.id).where(ComplianceItem.reference == "PL-1"))
    )


def test_a_png_document_stays_a_png_without_its_text_chunks(provider_user):
    provider, client = provider_user
    screenshot = Image.new("RGBA", (1200, 900), (255, 255, 255, 255))
    ImageDraw.Draw(screenshot).rectangle((100, 100, 1100, 140), fill=(0, 0, 0, 255))
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Jo Bloggs, 10 Example Street")
    info.add_text("GPSPosition", "52.633, -1.133")
    buffer = io.BytesIO()
    screenshot.save(buffer, "PNG", pnginfo=info)
    item = uploaded(client, provider, buffer.getvalue(), "screenshot.png")
    stored = storage.get_storage().get(item.document_key)
    assert item.document_type == "image/png" and item.document_key.endswith(".png")
    assert b"Jo Bloggs" not in stored and b"tEXt" not in stored and b"eXIf" not in stored
    with Image.open(io.BytesIO(stored)) as picture:
        assert picture.format == "PNG" and picture.size == (1200, 900)
        assert picture.getpixel((600, 120))[:3] == (0, 0, 0), "the text is still legible"


def test_an_image_too_large_to_decode_is_refused_next_to_the_field(app, provider_user):
    provider, client = provider_user
    before = len(stored_files(app))
    response = client.post(
        f"/providers/{provider.id}/compliance/new",
        data=upload_form(data=png_16bit_rgba(7745), filename="scan.png"),
        content_type="multipart/form-data",
    )
    page = response.data.decode()
    assert response.status_code == 200 and 'id="document-error"' in page
    assert "The image is too large to process" in page
    assert len(stored_files(app)) == before


def test_a_pdf_with_a_script_is_refused_next_to_the_field(app, provider_user):
    provider, client = provider_user
    from pypdf import PdfWriter
    from pypdf.actions import JavaScript

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_open_action(JavaScript("app.launchURL('https://example.org')"))
    buffer = io.BytesIO()
    writer.write(buffer)
    before = (len(stored_files(app)), item_count())
    response = client.post(
        f"/providers/{provider.id}/compliance/new",
        data=upload_form(data=buffer.getvalue()),
        content_type="multipart/form-data",
    )
    page = response.data.decode()
    assert 'id="document-error"' in page
    assert "PDFs with attached files or scripts cannot be accepted" in page
    assert (len(stored_files(app)), item_count()) == before
