"""`flask storage-sweep`: objects that no record refers to, and unfinished uploads, removed once
they are old enough, from the local folder and from S3 alike."""

from __future__ import annotations

import io
import os
import time

import pytest
from PIL import Image
from sqlalchemy import String

from qa_portal import storage
from qa_portal.cli import STORAGE_KEY_COLUMNS
from qa_portal.db import db
from qa_portal.storage import LocalStorage, S3Storage, new_key, put_pending
from qa_portal.visits import photos
from tests import factories
from tests.conftest import run_cli

HOURS = 3600


@pytest.fixture
def portal_storage(app, backend, monkeypatch):
    """The app on `backend`; on S3, listed two keys a page so that paging is exercised."""
    if isinstance(backend, S3Storage):
        monkeypatch.setattr(backend, "page_size", 2)
    monkeypatch.setitem(app.extensions, "storage", backend)
    return backend


@pytest.fixture
def records(portal_storage):
    """Objects every kind of record refers to - a photo and its thumbnail, a compliance
    document, a visit's report - and objects no record refers to, all committed."""
    lead = factories.user("staff")
    visit = factories.visit(lead)
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "grey").save(buffer, "JPEG")
    _, photo = photos.add_photo(
        lead,
        visit,
        client_id="00000000-0000-4000-8000-000000000001",
        criterion_id=None,
        caption="",
        data=buffer.getvalue(),
        max_bytes=10**6,
    )
    item = factories.item(visit.provider, "public_liability", stored=True)
    visit.report_key = put_pending(new_key(f"visits/{visit.id}/reports", ".pdf"), b"%PDF", "pdf")
    db.session.commit()
    kept = [photo.image_key, photo.thumbnail_key, item.document_key, visit.report_key]
    orphans = [
        new_key(f"visits/{visit.id}/photos", ".jpg"),
        new_key(f"visits/{visit.id}/reports", ".pdf"),
        new_key(f"providers/{visit.provider_id}/compliance", ".pdf"),
    ]
    for key in orphans:
        portal_storage.put(key, b"left behind", "application/octet-stream")
    portal_storage.put("elsewhere/not-the-portals.txt", b"kept", "text/plain")
    return kept, orphans


def sweep(app, *args):
    result = run_cli(app, ["storage-sweep", *args])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_objects_younger_than_an_hour_are_left_alone(app, portal_storage, records):
    kept, orphans = records
    assert sweep(app) == ["Removed 0 stored object(s) that no record refers to."]
    assert all(portal_storage.exists(key) for key in kept + orphans)


def test_a_dry_run_lists_the_unreferred_objects_and_removes_nothing(app, portal_storage, records):
    kept, orphans = records
    lines = sweep(app, "--older-than-minutes", "0", "--dry-run")
    assert sorted(line.split()[3] for line in lines[:-1]) == sorted(orphans)
    assert all(line.startswith("Would remove object ") for line in lines[:-1])
    assert lines[-1] == "Would remove 3 stored object(s) that no record refers to."
    assert all(portal_storage.exists(key) for key in kept + orphans)


def test_the_sweep_removes_only_what_no_record_refers_to(app, portal_storage, records):
    kept, orphans = records
    lines = sweep(app, "--older-than-minutes", "0")
    assert sorted(line.split()[2] for line in lines[:-1]) == sorted(orphans)
    assert lines[-1] == "Removed 3 stored object(s) that no record refers to."
    assert not any(portal_storage.exists(key) for key in orphans)
    assert all(portal_storage.exists(key) for key in kept)
    assert portal_storage.exists("elsewhere/not-the-portals.txt"), "not the portal's folder"
    assert sweep(app, "--older-than-minutes", "0")[-1].startswith("Removed 0 ")


def age(local: LocalStorage, name: str, seconds: float) -> None:
    """Make the file look as if written `seconds` ago."""
    stamp = time.time() - seconds
    os.utime(local.root / name, (stamp, stamp))


@pytest.mark.parametrize("backend", ["local"], indirect=True)
def test_old_orphans_and_unfinished_uploads_go_by_default_on_local_storage(
    app, portal_storage, records
):
    kept, (old_orphan, young_orphan, _) = records
    stopped = portal_storage.root / "visits" / ".upload-k1ll3d_.tmp"
    writing = portal_storage.root / "visits" / ".upload-st1ll_.tmp"
    stopped.write_bytes(b"half a photo, its worker stopped")
    writing.write_bytes(b"a photo on its way")
    for name in (*kept, old_orphan, "visits/.upload-k1ll3d_.tmp"):
        age(portal_storage, name, 2 * HOURS)
    lines = sweep(app)
    assert sorted(line.rsplit(" (written ", 1)[0] for line in lines[:-1]) == [
        f"Removed object {old_orphan}",
        "Removed unfinished upload visits/.upload-k1ll3d_.tmp",
    ]
    assert lines[-1] == "Removed 2 stored object(s) that no record refers to."
    assert not stopped.exists() and writing.exists()
    assert all(portal_storage.exists(key) for key in (*kept, young_orphan))


def test_every_column_holding_a_storage_key_is_swept_against():
    """A new column of keys must be added to the sweep, or its objects would be removed."""
    # Case-folded names and references, not objects.
    not_storage = {"providers.name_key", "schools.name_key", "contracts.reference_key"}
    named_like_keys = {
        f"{table.name}.{column.name}"
        for table in db.metadata.tables.values()
        for column in table.columns
        if column.name.endswith("_key")
        and isinstance(column.type, String)
        and column.name != "name_key"  # a name as compared for uniqueness, not a stored object
    }
    swept = {f"{column.table.name}.{column.name}" for column in STORAGE_KEY_COLUMNS}
    assert named_like_keys - not_storage == swept


def test_a_storage_failure_stops_the_sweep_with_a_message(app, portal_storage, monkeypatch):
    def broken(folder):
        raise storage.StorageError("storage unavailable")

    monkeypatch.setattr(portal_storage, "objects", broken)
    result = run_cli(app, ["storage-sweep"])
    assert result.exit_code == 1
    assert "The storage could not be swept: storage unavailable" in result.output
