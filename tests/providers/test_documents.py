"""Uploading, verifying and downloading compliance documents; refusing bad files whole."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from qa_portal import storage
from qa_portal.db import db
from qa_portal.providers import services
from qa_portal.providers.models import ComplianceItem, ItemStatus
from tests import factories


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


def test_a_failed_database_write_leaves_no_orphan_file(app, monkeypatch):
    provider = factories.provider()
    actor = factories.user("staff")
    before = len(stored_files(app))

    def fail(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("qa_portal.providers.services.audit.record", fail)
    with pytest.raises(RuntimeError):
        services.add_item(
            actor,
            provider,
            factories.kind("public_liability"),
            services.Evidence("R", None, date.today() + timedelta(days=9), 5),
            services.Upload(factories.pdf_bytes(), "x.pdf"),
            max_bytes=10**6,
        )
    assert len(stored_files(app)) == before


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
    # Bigger than an ordinary form may be (1 MiB), smaller than the upload limit.
    provider, client = provider_user
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_attachment("scan.bin", bytes(range(256)) * 8000)
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
