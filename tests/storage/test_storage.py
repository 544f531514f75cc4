"""The storage module: the same behaviour from the local and S3 backends, what S3 adds (private,
encrypted objects and presigned downloads), configuration, and the checks on uploaded bytes."""

from __future__ import annotations

import io
import os
import re
import stat
import urllib.error
import urllib.request

import pytest
from flask import Flask
from pypdf import PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from qa_portal import config, storage
from qa_portal.db import db
from qa_portal.storage import (
    CHUNK_SIZE,
    DOCUMENT_TYPES,
    PHOTO_TYPES,
    LocalStorage,
    MissingObject,
    S3Storage,
    StorageError,
    UploadRefused,
    check_upload,
    delete_after_commit,
    new_key,
    put_pending,
    sniff,
)
from tests.storage.conftest import ACCESS_KEY, BUCKET, REGION, SECRET_KEY

MB = 1024 * 1024
BAD_KEYS = [
    "../x",
    "/etc/passwd",
    "a//b",
    "a\\b",
    "",
    "a/../b",
    "a/./b",
    "a/",
    ".hidden",
    "a b",
    "caf\u00e9.pdf",
    "a\x00b",
    "x" * 600,
]

# No proxy, whatever the environment says: these requests go to the moto server on 127.0.0.1.
http = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# Behaviour shared by both backends


def test_put_then_get_returns_the_same_bytes(backend):
    data = bytes(range(256)) * 4
    backend.put("providers/12/compliance/doc.pdf", data, "application/pdf")
    assert backend.get("providers/12/compliance/doc.pdf") == data


def test_put_replaces_an_existing_object(backend):
    backend.put("a/doc.pdf", b"first version", "application/pdf")
    backend.put("a/doc.pdf", b"second", "application/pdf")
    assert backend.get("a/doc.pdf") == b"second"
    assert backend.size("a/doc.pdf") == len(b"second")


def test_open_stream_yields_the_object_in_chunks(backend):
    data = os.urandom(CHUNK_SIZE * 2 + 123)
    backend.put("photos/visit.jpg", data, "image/jpeg")
    with backend.open_stream("photos/visit.jpg") as stream:
        chunks = list(stream)
    assert len(chunks) >= 2
    assert all(len(chunk) <= CHUNK_SIZE for chunk in chunks)
    assert b"".join(chunks) == data


def test_delete_removes_the_object_and_ignores_a_missing_one(backend):
    backend.put("a/doc.pdf", b"data", "application/pdf")
    backend.delete("a/doc.pdf")
    assert not backend.exists("a/doc.pdf")
    backend.delete("a/doc.pdf")
    backend.delete("never/stored.pdf")


def test_exists_and_size(backend):
    assert not backend.exists("a/doc.pdf")
    backend.put("a/doc.pdf", b"12345", "application/pdf")
    assert backend.exists("a/doc.pdf")
    assert backend.size("a/doc.pdf") == 5
    assert not backend.exists("a")


def test_missing_key_raises_missing_object_which_is_a_key_error(backend):
    for read in (backend.get, backend.open_stream, backend.size):
        with pytest.raises(MissingObject) as raised:
            read("providers/1/compliance/missing.pdf")
        assert isinstance(raised.value, KeyError)
        assert isinstance(raised.value, StorageError)


@pytest.mark.parametrize("key", BAD_KEYS)
def test_bad_keys_are_rejected_by_every_operation(backend, key):
    operations = [
        lambda: backend.put(key, b"data", "application/pdf"),
        lambda: backend.get(key),
        lambda: backend.open_stream(key),
        lambda: backend.delete(key),
        lambda: backend.exists(key),
        lambda: backend.size(key),
        lambda: backend.download_url(key, "doc.pdf", "application/pdf"),
    ]
    for operation in operations:
        with pytest.raises(ValueError):
            operation()


def test_new_keys_are_unguessable_unique_and_storable(backend):
    keys = {new_key("providers/12/compliance", ".pdf") for _ in range(1000)}
    assert len(keys) == 1000
    for key in list(keys)[:3]:
        assert re.fullmatch(r"providers/12/compliance/[0-9a-f]{32}\.pdf", key)
    key = keys.pop()
    backend.put(key, b"data", "application/pdf")
    assert backend.get(key) == b"data"


@pytest.mark.parametrize(("prefix", "extension"), [("../x", ".pdf"), ("a", "pdf"), ("a", ".p/f")])
def test_new_key_refuses_bad_prefixes_and_extensions(prefix, extension):
    with pytest.raises(ValueError):
        new_key(prefix, extension)


# Objects that follow their database transaction


@pytest.fixture
def ledger(app, backend, monkeypatch):
    """The app's storage is `backend`; the test's session is in a transaction of its own."""
    monkeypatch.setitem(app.extensions, "storage", backend)
    return backend


def test_a_pending_object_stays_when_its_transaction_commits(ledger):
    key = put_pending(new_key("visits/1/photos", ".jpg"), b"data", "image/jpeg")
    assert ledger.get(key) == b"data", "written before the commit"
    db.session.commit()
    assert ledger.get(key) == b"data"
    db.session.rollback()  # a later rollback no longer concerns it
    assert ledger.exists(key)


def test_a_pending_object_goes_when_its_transaction_rolls_back(ledger):
    key = put_pending(new_key("visits/1/photos", ".jpg"), b"data", "image/jpeg")
    db.session.rollback()
    assert not ledger.exists(key)


def test_a_pending_object_goes_when_the_session_ends_without_a_commit(ledger):
    key = put_pending(new_key("visits/1/photos", ".jpg"), b"data", "image/jpeg")
    db.session.close()  # as at the end of a request that failed with an error
    assert not ledger.exists(key)


def test_a_replaced_object_goes_only_once_the_change_commits(ledger):
    key = new_key("visits/1/reports", ".pdf")
    ledger.put(key, b"old report", "application/pdf")
    delete_after_commit(key)
    db.session.rollback()
    assert ledger.exists(key), "the change was rolled back: the old object is still in use"
    delete_after_commit(key)
    assert ledger.exists(key)
    db.session.commit()
    assert not ledger.exists(key)


def test_a_savepoint_rolled_back_takes_only_its_own_objects(ledger):
    outer = put_pending(new_key("visits/1/photos", ".jpg"), b"outer", "image/jpeg")
    replaced = new_key("visits/1/reports", ".pdf")
    ledger.put(replaced, b"old report", "application/pdf")
    savepoint = db.session.begin_nested()
    inner = put_pending(new_key("visits/1/photos", ".jpg"), b"inner", "image/jpeg")
    delete_after_commit(replaced)
    savepoint.rollback()
    assert not ledger.exists(inner)
    db.session.commit()
    assert ledger.exists(outer) and ledger.exists(replaced)


def test_a_released_savepoint_follows_the_transaction_around_it(ledger):
    savepoint = db.session.begin_nested()
    key = put_pending(new_key("visits/1/photos", ".jpg"), b"data", "image/jpeg")
    savepoint.commit()
    assert ledger.exists(key)
    db.session.rollback()
    assert not ledger.exists(key)


def test_a_failed_clean_up_is_logged_and_does_not_fail_the_request(ledger, monkeypatch, caplog):
    key = put_pending(new_key("visits/1/photos", ".jpg"), b"data", "image/jpeg")

    def broken_delete(key):
        raise StorageError("storage unavailable")

    monkeypatch.setattr(ledger, "delete", broken_delete)
    db.session.rollback()
    assert f"could not delete rolled-back object {key!r}" in caplog.text


# Local backend


def test_local_writes_are_atomic_and_leave_no_temporary_files(local_storage, monkeypatch):
    local_storage.put("a/doc.pdf", b"original", "application/pdf")

    def failing_replace(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(StorageError):
        local_storage.put("a/doc.pdf", b"replacement", "application/pdf")
    monkeypatch.undo()
    assert local_storage.get("a/doc.pdf") == b"original"
    assert [p.name for p in (local_storage.root / "a").iterdir()] == ["doc.pdf"]


def test_local_files_are_readable_by_the_portal_user_only(local_storage):
    local_storage.put("a/doc.pdf", b"data", "application/pdf")
    mode = (local_storage.root / "a" / "doc.pdf").stat().st_mode
    assert stat.S_IMODE(mode) & 0o077 == 0


def test_local_keys_cannot_follow_a_symlink_out_of_the_root(local_storage, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"secret")
    local_storage.root.mkdir(parents=True)
    (local_storage.root / "link").symlink_to(outside)
    with pytest.raises(ValueError):
        local_storage.get("link/secret.txt")


def test_local_download_url_is_none_so_the_app_streams_the_file(local_storage):
    local_storage.put("a/doc.pdf", b"data", "application/pdf")
    assert local_storage.download_url("a/doc.pdf", "doc.pdf", "application/pdf") is None


# S3 backend, against the moto server


def test_s3_objects_are_encrypted_at_rest(s3_storage, s3_client):
    s3_storage.put("a/doc.pdf", b"data", "application/pdf")
    head = s3_client.head_object(Bucket=BUCKET, Key=f"{s3_storage.prefix}/a/doc.pdf")
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ContentType"] == "application/pdf"


def test_s3_objects_are_not_publicly_readable(s3_storage, s3_client, moto_url):
    s3_storage.put("a/doc.pdf", b"private", "application/pdf")
    object_key = f"{s3_storage.prefix}/a/doc.pdf"
    with pytest.raises(urllib.error.HTTPError) as refused:
        http.open(f"{moto_url}/{BUCKET}/{object_key}")
    assert refused.value.code == 403
    grants = s3_client.get_object_acl(Bucket=BUCKET, Key=object_key)["Grants"]
    assert not any("AllUsers" in grant["Grantee"].get("URI", "") for grant in grants)
    # The server does serve anonymous readers when an object is public, so the 403 means private.
    s3_client.put_object(
        Bucket=BUCKET, Key=f"{s3_storage.prefix}/public", Body=b"p", ACL="public-read"
    )
    assert http.open(f"{moto_url}/{BUCKET}/{s3_storage.prefix}/public").read() == b"p"


def test_s3_download_url_is_a_short_lived_presigned_attachment(s3_storage):
    s3_storage.put("a/doc.pdf", b"%PDF-1.7 contents", "application/pdf")
    url = s3_storage.download_url("a/doc.pdf", "Insurance certificate.pdf", "application/pdf")
    assert "X-Amz-Expires=300" in url
    assert "X-Amz-Signature=" in url
    with http.open(url) as response:
        assert response.read() == b"%PDF-1.7 contents"
        assert response.headers["Content-Type"] == "application/pdf"
        assert response.headers["Content-Disposition"] == (
            'attachment; filename="Insurance certificate.pdf"'
        )


def test_s3_download_url_keeps_non_ascii_filenames(s3_storage):
    s3_storage.put("a/doc.pdf", b"data", "application/pdf")
    url = s3_storage.download_url(
        "a/doc.pdf", "Pr\u00e9cis \u201cfinal\u201d.pdf", "application/pdf"
    )
    with http.open(url) as response:
        disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="Precis final.pdf"')
    assert "filename*=UTF-8''Pr%C3%A9cis%20%E2%80%9Cfinal%E2%80%9D.pdf" in disposition


def test_s3_keys_live_under_the_configured_prefix(s3_storage, s3_client):
    s3_storage.put("a/doc.pdf", b"data", "application/pdf")
    listed = s3_client.list_objects_v2(Bucket=BUCKET, Prefix=f"{s3_storage.prefix}/")
    assert [item["Key"] for item in listed["Contents"]] == [f"{s3_storage.prefix}/a/doc.pdf"]


def test_s3_failures_other_than_a_missing_key_raise_storage_error(moto_url):
    missing_bucket = S3Storage("qa-portal-no-such-bucket", REGION, moto_url, ACCESS_KEY, SECRET_KEY)
    with pytest.raises(StorageError) as raised:
        missing_bucket.put("a/doc.pdf", b"data", "application/pdf")
    assert not isinstance(raised.value, MissingObject)


# Configuration


def bare_app(tmp_path, monkeypatch, **settings) -> Flask:
    for name in ("STORAGE_BACKEND", "STORAGE_LOCAL_ROOT", "S3_BUCKET", "S3_PREFIX"):
        monkeypatch.delenv(name, raising=False)
    app = Flask(__name__, instance_path=str(tmp_path / "instance"))
    app.config.from_mapping(config.from_environment(app.instance_path))
    app.config.from_mapping(settings)
    return app


def test_local_storage_under_the_instance_folder_by_default(tmp_path, monkeypatch):
    app = bare_app(tmp_path, monkeypatch)
    assert app.config["UPLOAD_MAX_BYTES"] == 10 * MB
    storage.init_app(app)
    with app.app_context():
        backend = storage.get_storage()
    assert isinstance(backend, LocalStorage)
    assert backend.root == (tmp_path / "instance" / "uploads").resolve()


def test_local_root_can_be_configured(tmp_path, monkeypatch):
    app = bare_app(tmp_path, monkeypatch, STORAGE_LOCAL_ROOT=str(tmp_path / "files"))
    storage.init_app(app)
    assert app.extensions["storage"].root == (tmp_path / "files").resolve()


def test_s3_storage_from_configuration(tmp_path, monkeypatch, moto_url, s3_client):
    app = bare_app(
        tmp_path,
        monkeypatch,
        STORAGE_BACKEND="s3",
        S3_BUCKET=BUCKET,
        S3_ENDPOINT_URL=moto_url,
        S3_ACCESS_KEY_ID=ACCESS_KEY,
        S3_SECRET_ACCESS_KEY=SECRET_KEY,
        S3_PREFIX="configured",
    )
    storage.init_app(app)
    with app.app_context():
        backend = storage.get_storage()
    assert isinstance(backend, S3Storage)
    key = new_key("providers/1/compliance", ".pdf")
    backend.put(key, b"data", "application/pdf")
    assert s3_client.get_object(Bucket=BUCKET, Key=f"configured/{key}")["Body"].read() == b"data"
    backend.delete(key)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"STORAGE_BACKEND": "s3"}, "S3_BUCKET must be set"),
        ({"STORAGE_BACKEND": "ftp"}, "STORAGE_BACKEND must be"),
    ],
)
def test_bad_storage_configuration_is_refused(tmp_path, monkeypatch, settings, message):
    app = bare_app(tmp_path, monkeypatch, **settings)
    with pytest.raises(RuntimeError, match=message):
        storage.init_app(app)


def test_get_storage_without_init_app_says_so(tmp_path, monkeypatch):
    app = bare_app(tmp_path, monkeypatch)
    with app.app_context(), pytest.raises(RuntimeError, match="init_app"):
        storage.get_storage()


# Checks on uploaded bytes


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"%PDF-1.7\n", "application/pdf"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "image/heic"),
        (b"\x00\x00\x00\x18ftypheix\x00\x00\x00\x00", "image/heic"),
        (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00", "image/heic"),
        (b"GIF89a\x01\x00", "image/gif"),
        (b"MZ\x90\x00\x03\x00\x00\x00", None),
        (b"PK\x03\x04", None),
        (b"<html>", None),
        (b"", None),
    ],
)
def test_sniff_recognises_types_from_their_bytes(data, expected):
    assert sniff(data) == expected


def test_a_real_pdf_is_accepted(pdf_bytes):
    assert check_upload(pdf_bytes, "policy.pdf", DOCUMENT_TYPES, 10 * MB) == "application/pdf"


def test_a_png_is_accepted(png_bytes):
    assert check_upload(png_bytes, "certificate.png", DOCUMENT_TYPES, 10 * MB) == "image/png"


def test_the_type_comes_from_the_bytes_not_the_filename(png_bytes):
    assert check_upload(png_bytes, "certificate.pdf", DOCUMENT_TYPES, 10 * MB) == "image/png"


def refusal(data: bytes, filename: str, allowed=DOCUMENT_TYPES, max_bytes: int = 10 * MB) -> str:
    with pytest.raises(UploadRefused) as refused:
        check_upload(data, filename, set(allowed), max_bytes)
    return refused.value.message


def test_a_program_renamed_pdf_is_refused_as_the_wrong_type():
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
    assert refusal(exe, "policy.pdf") == "The selected file must be a PDF, JPG or PNG"


def test_the_wrong_type_message_lists_what_is_allowed(pdf_bytes):
    assert refusal(pdf_bytes, "photo.pdf", PHOTO_TYPES) == (
        "The selected file must be a JPG, PNG, HEIC or WebP"
    )
    assert refusal(pdf_bytes, "photo.pdf", {"image/png"}) == "The selected file must be a PNG"


def test_an_empty_file_is_refused():
    assert refusal(b"", "policy.pdf") == "The selected file is empty"


def test_a_file_over_the_limit_is_refused(pdf_bytes):
    too_big = b"%PDF-1.7\n" + b"0" * (10 * MB)
    assert refusal(too_big, "policy.pdf") == "The selected file must be smaller than 10 MB"
    assert refusal(pdf_bytes, "policy.pdf", max_bytes=len(pdf_bytes) - 1).startswith(
        "The selected file must be smaller than"
    )


def test_a_file_exactly_at_the_limit_is_accepted(pdf_bytes):
    assert (
        check_upload(pdf_bytes, "policy.pdf", DOCUMENT_TYPES, len(pdf_bytes)) == "application/pdf"
    )


def test_a_truncated_pdf_is_refused(pdf_bytes):
    truncated = pdf_bytes[: len(pdf_bytes) // 2]
    assert refusal(truncated, "policy.pdf") == "The selected file is not a readable PDF"


def test_a_pdf_that_does_not_parse_is_refused():
    garbage = b"%PDF-1.7\n" + b"this is not a pdf body\n" * 20 + b"%%EOF\n"
    assert refusal(garbage, "policy.pdf") == "The selected file is not a readable PDF"


def test_a_password_protected_pdf_is_refused():
    writer = PdfWriter()
    writer.add_blank_page(72, 72)
    writer.encrypt("open-sesame", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    assert refusal(buffer.getvalue(), "policy.pdf") == "The selected file is password protected"


def pdf_with(action) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(72, 72)
    action(writer)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def launch_on_open(writer: PdfWriter) -> None:
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
        {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("run.exe")}
    )


@pytest.mark.parametrize(
    "action",
    [
        lambda writer: writer.add_open_action(JavaScript("app.alert('hello')")),
        lambda writer: writer.add_attachment("setup.exe", b"MZ\x90\x00" + bytes(200)),
        launch_on_open,
    ],
    ids=["javascript", "attached-program", "launch"],
)
def test_a_pdf_with_a_script_or_an_attached_file_is_refused(action):
    assert refusal(pdf_with(action), "certificate.pdf") == (
        "PDFs with attached files or scripts cannot be accepted: print or export the document "
        "to a plain PDF and send that"
    )


def test_a_pdf_hiding_its_script_behind_an_escaped_name_is_refused():
    data = pdf_with(lambda writer: writer.add_open_action(JavaScript("app.alert(1)")))
    hidden = data.replace(b"/JavaScript", b"/J#61vaScript").replace(b"/JS", b"/J#53")
    assert b"/JavaScript" not in hidden
    assert refusal(hidden, "certificate.pdf").startswith("PDFs with attached files or scripts")
