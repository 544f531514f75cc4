"""A contract's signed document: checked as compliance documents are, stored with its record or
not at all, replaced only once the change is committed, downloaded by those who see it."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfWriter
from pypdf.actions import JavaScript
from sqlalchemy import func, select

from qa_portal import audit
from qa_portal.audit import AuditEvent
from qa_portal.contracts import services
from qa_portal.contracts.models import Contract
from qa_portal.db import db
from tests import factories
from tests.contracts.conftest import contract_form, used_provider
from tests.storage.conftest import (  # noqa: F401 (fixtures: each test on local and S3 storage)
    local_storage,
    moto_url,
    s3_client,
    s3_storage,
    shared_s3_storage,
)


def contracts() -> int:
    return db.session.scalar(select(func.count()).select_from(Contract))


@pytest.fixture(params=["local", "s3"])
def stored(app, monkeypatch, request):
    """The portal on local or S3 storage; returns a function listing every contract object."""
    backend = request.getfixturevalue(f"{request.param}_storage")
    monkeypatch.setitem(app.extensions, "storage", backend)
    return lambda: sorted(o.key for o in backend.objects("contracts"))


@pytest.fixture
def staff(login):
    user = factories.user("staff")
    provider = used_provider()
    db.session.commit()
    return provider, login(user)


def send(client, url, form, data, filename="signed.pdf"):
    return client.post(
        url,
        data={**form, "document": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def test_a_signed_pdf_is_stored_with_the_new_contract_and_downloaded(staff, stored):
    provider, client = staff
    pdf = factories.pdf_bytes("Signed contract")
    response = send(client, "/contracts/new", contract_form(provider), pdf)
    assert response.status_code == 302, response.data
    contract = db.session.scalars(select(Contract)).one()
    assert stored() == [contract.document_key]
    assert contract.document_name == "signed.pdf" and contract.document_type == "application/pdf"
    assert db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "contract_document_uploaded")
    ).one()
    download = client.get(f"/contracts/{contract.id}/document")
    if download.status_code == 302:  # S3: a presigned link
        assert "X-Amz-Signature" in download.headers["Location"]
    else:
        assert download.status_code == 200 and download.data == pdf
        assert download.headers["Content-Disposition"].startswith("attachment")
        assert download.headers["Cache-Control"] == "no-store"
    assert db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "document_downloaded", AuditEvent.target_type == "Contract"
        )
    ).one()


def _pdf_with_a_script() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_open_action(JavaScript("app.launchURL('https://example.org')"))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"MZ" + b"\0" * 500, "The selected file must be a PDF, JPG or PNG"),
        (b"%PDF-1.4\nnonsense that is not a pdf at all\n%%EOF", "is not a readable PDF"),
        (_pdf_with_a_script(), "PDFs with attached files or scripts cannot be accepted"),
    ],
    ids=["not-a-document", "broken-pdf", "pdf-with-script"],
)
def test_a_bad_file_is_refused_next_to_the_field_and_nothing_is_stored(
    staff, stored, data, message
):
    provider, client = staff
    response = send(client, "/contracts/new", contract_form(provider), data)
    page = response.data.decode()
    assert response.status_code == 200
    assert message in page and 'id="document-error"' in page
    assert (contracts(), stored()) == (0, [])


def test_a_file_over_the_limit_is_refused(app, staff, stored, monkeypatch):
    provider, client = staff
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 2000)
    response = send(
        client, "/contracts/new", contract_form(provider), factories.pdf_bytes() + b" " * 2500
    )
    assert "The selected file must be smaller than" in response.data.decode()
    huge = send(client, "/contracts/new", contract_form(provider), b"%PDF" + b"0" * 200_000)
    assert huge.status_code == 413
    assert (contracts(), stored()) == (0, [])


def test_a_photographed_contract_is_re_encoded_as_a_photo_is(staff, stored):
    from PIL import Image

    provider, client = staff
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), "white").save(buffer, "JPEG")
    response = send(
        client, "/contracts/new", contract_form(provider), buffer.getvalue(), "scan.jpg"
    )
    assert response.status_code == 302
    contract = db.session.scalars(select(Contract)).one()
    assert contract.document_type == "image/jpeg" and contract.document_name == "scan.jpg"


def test_a_rule_broken_after_the_file_was_stored_leaves_no_orphan(staff, stored, monkeypatch):
    """The file is stored, then the save is refused: the transaction is rolled back and the
    file goes with it."""
    provider, client = staff
    real = services.attach_document

    def attach_then_refuse(*args, **kwargs):
        real(*args, **kwargs)
        raise services.ContractError("Refused after storing", "reference")

    monkeypatch.setattr(services, "attach_document", attach_then_refuse)
    response = send(client, "/contracts/new", contract_form(provider), factories.pdf_bytes())
    assert "Refused after storing" in response.data.decode()
    assert (contracts(), stored()) == (0, [])


def test_a_failed_database_write_leaves_no_orphan_file(staff, stored, monkeypatch):
    """An error that is no broken rule, after the file was stored (the database gone away):
    the request fails, and the file does not stay behind."""
    provider, client = staff
    record = audit.record

    def fail(action, **kwargs):
        if action == "contract_document_uploaded":
            raise RuntimeError("database went away")
        return record(action, **kwargs)

    monkeypatch.setattr("qa_portal.contracts.services.audit.record", fail)
    with pytest.raises(RuntimeError):
        send(client, "/contracts/new", contract_form(provider), factories.pdf_bytes())
    assert stored() == []


def test_replacing_the_document_deletes_the_old_one_only_after_the_commit(staff, stored):
    provider, client = staff
    send(client, "/contracts/new", contract_form(provider), factories.pdf_bytes("First"))
    contract = db.session.scalars(select(Contract)).one()
    first = contract.document_key
    # A refused edit keeps the old document and stores nothing new.
    refused = send(
        client,
        f"/contracts/{contract.id}/edit",
        contract_form(provider, value="-5"),
        factories.pdf_bytes("Second"),
    )
    assert refused.status_code == 200 and stored() == [first]
    response = send(
        client,
        f"/contracts/{contract.id}/edit",
        contract_form(provider),
        factories.pdf_bytes("Second"),
    )
    assert response.status_code == 302
    db.session.refresh(contract)
    assert contract.document_key != first and stored() == [contract.document_key]


def test_the_same_file_sent_again_is_kept_once(staff, stored):
    provider, client = staff
    pdf = factories.pdf_bytes("Once")
    send(client, "/contracts/new", contract_form(provider), pdf)
    contract = db.session.scalars(select(Contract)).one()
    send(client, f"/contracts/{contract.id}/edit", contract_form(provider), pdf)
    db.session.refresh(contract)
    assert stored() == [contract.document_key]
    uploads = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "contract_document_uploaded")
    ).all()
    assert len(uploads) == 1


def test_a_contract_without_a_document_has_nothing_to_download(staff):
    provider, client = staff
    contract = factories.contract(provider)
    db.session.commit()
    assert client.get(f"/contracts/{contract.id}/document").status_code == 404
    assert (
        "No signed contract uploaded yet" in client.get(f"/contracts/{contract.id}").data.decode()
    )
