"""Evidence photos: processed on arrival, stored once per client id, never with their metadata."""

from __future__ import annotations

import io
import uuid

import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qa_portal import images, storage
from qa_portal.accounts.models import User
from qa_portal.db import db
from qa_portal.providers.models import Provider
from qa_portal.storage import LocalStorage
from qa_portal.visits import recording
from qa_portal.visits.models import Photo, VisitStatus
from tests import factories
from tests.storage.conftest import (  # noqa: F401 (fixtures: each test on local and S3 storage)
    local_storage,
    moto_url,
    s3_client,
    s3_storage,
    shared_s3_storage,
)


def photo_with_gps(width=3000, height=2000) -> bytes:
    picture = Image.effect_noise((width, height), 40).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated: the phone was held upright
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (52.0, 38.0, 1.0), 3: "W", 4: (1.0, 7.0, 2.0)})
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", exif=exif, quality=90)
    data = buffer.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825), "the test photo has a GPS fix"
    return data


@pytest.fixture
def scene(login):
    lead = factories.user("staff")
    visit = factories.visit(lead)
    db.session.commit()
    return visit, visit.framework.areas[1].criteria[1], login(lead)


def post_photo(client, visit, criterion, data, client_id=None, caption="Fire exit"):
    return client.post(
        f"/visits/{visit.id}/photos",
        data={
            "client_id": client_id or str(uuid.uuid4()),
            "criterion_id": str(criterion.id),
            "caption": caption,
            "photo": (io.BytesIO(data), "IMG_0001.jpg"),
        },
        content_type="multipart/form-data",
    )


def test_a_photo_with_gps_comes_back_from_storage_with_no_exif_at_all(scene):
    visit, criterion, client = scene
    response = post_photo(client, visit, criterion, photo_with_gps())
    assert response.json["status"] == "stored"
    photo = db.session.scalars(select(Photo)).one()
    for key in (photo.image_key, photo.thumbnail_key):
        stored = storage.get_storage().get(key)
        assert not images.has_metadata(stored)
        assert b"Exif" not in stored and b"GPS" not in stored
        assert not Image.open(io.BytesIO(stored)).getexif()
    assert photo.height > photo.width, "turned upright"
    assert max(photo.width, photo.height) <= 1600 and photo.size <= 350 * 1024
    thumbnail = client.get(response.json["thumbnail"])
    assert thumbnail.status_code == 200 and thumbnail.mimetype == "image/jpeg"


def test_a_replayed_photo_is_stored_once(scene):
    visit, criterion, client = scene
    data, same_id = photo_with_gps(800, 600), str(uuid.uuid4())
    statuses = [
        post_photo(client, visit, criterion, data, same_id).json["status"] for _ in range(3)
    ]
    assert statuses == ["stored", "repeat", "repeat"]
    assert db.session.scalar(select(func.count()).select_from(Photo)) == 1
    other = post_photo(client, visit, criterion, photo_with_gps(640, 480), same_id)
    assert other.status_code == 409


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"MZ" + bytes(300), "must be a photo"),
        (b"", "empty"),
        (b"%PDF-1.4\n%%EOF", "must be a photo"),
    ],
)
def test_files_that_are_not_photos_are_refused(app, scene, data, message):
    visit, criterion, client = scene
    root = app.config["STORAGE_LOCAL_ROOT"]
    from pathlib import Path

    before = len(list(Path(root).rglob("*.jpg")))
    response = post_photo(client, visit, criterion, data)
    assert response.status_code == 422 and message in response.json["error"]
    assert db.session.scalar(select(func.count()).select_from(Photo)) == 0
    assert len(list(Path(root).rglob("*.jpg"))) == before


def test_no_photos_on_a_signed_off_visit(scene):
    visit, criterion, client = scene
    visit.status = VisitStatus.SIGNED_OFF
    db.session.commit()
    assert post_photo(client, visit, criterion, photo_with_gps(640, 480)).status_code == 409


def test_photos_are_only_shown_to_those_who_see_the_visit(scene, login):
    visit, criterion, client = scene
    url = post_photo(client, visit, criterion, photo_with_gps(640, 480)).json["thumbnail"]
    outsider = login(factories.user("staff", partnership=factories.partnership("SLIP")))
    assert outsider.get(url).status_code == 404
    at = db.session.get(Provider, visit.provider_id)
    provider = login(factories.user("provider", provider=at))
    assert provider.get(url).status_code == 404  # not published yet


@pytest.fixture(params=["local", "s3"])
def on_storage(app, monkeypatch, request):
    """The portal on local or S3 storage; returns a function listing every stored key."""
    backend = request.getfixturevalue(f"{request.param}_storage")
    monkeypatch.setitem(app.extensions, "storage", backend)

    def keys() -> list[str]:
        if isinstance(backend, LocalStorage):
            return [p.name for p in backend.root.rglob("*") if p.is_file()]
        s3 = request.getfixturevalue("s3_client")
        listing = s3.list_objects_v2(Bucket=backend.bucket, Prefix=f"{backend.prefix}/")
        return [entry["Key"] for entry in listing.get("Contents", [])]

    return keys


def test_a_refused_checklist_page_leaves_none_of_its_photos_in_storage(scene, on_storage):
    """Without JavaScript: a good photo on one criterion, a rating off the scale on another.
    The page is refused and rolled back, and so are the photo and its thumbnail."""
    visit, _, client = scene
    area = visit.framework.areas[1]
    pictured, misrated = area.criteria[0], area.criteria[1]
    response = client.post(
        f"/visits/{visit.id}/checklist/2",
        data={
            "csrf_token": "",
            f"photo-{pictured.id}": (io.BytesIO(photo_with_gps(800, 600)), "IMG_0002.jpg"),
            f"photo-client-{pictured.id}": str(uuid.uuid4()),
            f"client-{misrated.id}": str(uuid.uuid4()),
            f"rating-{misrated.id}": "purple",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "not on this criterion" in response.data.decode()
    assert db.session.scalar(select(func.count()).select_from(Photo)) == 0
    assert on_storage() == []


def test_a_photo_whose_commit_fails_leaves_nothing_in_storage(scene, on_storage, monkeypatch):
    visit, criterion, client = scene

    def commit_fails(session):
        raise ConnectionError("the database went away")

    monkeypatch.setattr(Session, "commit", commit_fails)
    with pytest.raises(ConnectionError):
        post_photo(client, visit, criterion, photo_with_gps(800, 600))
    monkeypatch.undo()
    assert db.session.scalar(select(func.count()).select_from(Photo)) == 0
    assert on_storage() == []


def test_a_stored_photo_stays_in_storage(scene, on_storage):
    visit, criterion, client = scene
    assert post_photo(client, visit, criterion, photo_with_gps(800, 600)).status_code == 200
    photo = db.session.scalars(select(Photo)).one()
    assert len(on_storage()) == 2
    assert storage.get_storage().exists(photo.image_key)
    assert storage.get_storage().exists(photo.thumbnail_key)


def test_a_photo_client_id_with_a_trailing_newline_is_refused(scene):
    visit, criterion, client = scene
    response = post_photo(client, visit, criterion, photo_with_gps(), client_id=f"{uuid.uuid4()}\n")
    assert response.status_code == 400
    assert "client id" in response.json["error"]
    assert db.session.scalars(select(Photo)).first() is None


def test_a_photo_save_that_meets_another_is_tried_again_leaving_only_its_own_files(
    scene, on_storage, monkeypatch
):
    """The first try stores its files, then meets another save on a unique index: it is rolled
    back to its savepoint, its files go with it, and the second try stores the photo once."""
    visit, criterion, _ = scene
    tries = []

    def collides_once(*args, **kwargs):
        outcome = add_photo(*args, **kwargs)
        tries.append(outcome)
        if len(tries) == 1:
            raise IntegrityError("INSERT INTO photos", {}, Exception("unique client_id"))
        return outcome

    add_photo = recording.photos.add_photo
    monkeypatch.setattr(recording.photos, "add_photo", collides_once)
    db.session.refresh(visit, ["provider"])  # as the photo's request loads the visit
    outcome, photo = recording.add_photo(
        db.session.get(User, visit.lead_id),
        visit,
        client_id=str(uuid.uuid4()),
        criterion_id=criterion.id,
        caption="Fire exit",
        data=photo_with_gps(800, 600),
        max_bytes=10_000_000,
    )
    db.session.commit()
    assert [o for o, _ in tries] == ["stored", "stored"] and outcome == "stored"
    assert db.session.scalars(select(Photo)).all() == [photo]
    assert len(on_storage()) == 2  # the first try's two files are gone
    assert storage.get_storage().exists(photo.image_key)
    assert storage.get_storage().exists(photo.thumbnail_key)
