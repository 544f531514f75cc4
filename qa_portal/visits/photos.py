"""Evidence photos of a visit: processed on arrival, stored with a thumbnail, once per client id."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from qa_portal import audit, images, inputs, storage
from qa_portal.accounts.models import User
from qa_portal.db import db
from qa_portal.rules import RuleBroken
from qa_portal.visits.checklist import CLIENT_ID, AnswerRefused, criterion_of
from qa_portal.visits.models import Photo, Visit


def add_photo(
    actor: User,
    visit: Visit,
    *,
    client_id: str,
    criterion_id: int | None,
    caption: str,
    data: bytes,
    max_bytes: int,
) -> tuple[str, Photo]:
    """("stored" | "repeat", photo). A repeat of the same client id with other bytes is refused."""
    if not visit.is_open:
        raise AnswerRefused("This visit has been signed off: photos can no longer be added", 409)
    client_id = (client_id or "").lower()
    if not CLIENT_ID.fullmatch(client_id):
        raise AnswerRefused("The photo needs a client id (a UUID)", 400)
    try:
        caption = inputs.clean_text(caption, field="caption", label="The caption", max_length=500)
    except RuleBroken as exc:
        raise AnswerRefused(str(exc), 400) from exc
    digest = hashlib.sha256(data).hexdigest()
    existing = db.session.scalars(select(Photo).where(Photo.client_id == client_id)).first()
    if existing is not None:
        if existing.content_hash != digest or existing.visit_id != visit.id:
            raise AnswerRefused("This photo id was already used for a different photo", 409)
        return "repeat", existing
    if criterion_id is not None:
        criterion_of(visit, criterion_id)
    try:
        processed = images.process_photo(data, max_bytes=max_bytes)
    except storage.UploadRefused as exc:
        raise AnswerRefused(str(exc), 422) from exc
    prefix = f"visits/{visit.id}/photos"
    image_key, thumb_key = storage.new_key(prefix, ".jpg"), storage.new_key(prefix, ".jpg")
    # Both files follow this transaction: removed again if it is rolled back.
    storage.put_pending(image_key, processed.image, processed.content_type)
    storage.put_pending(thumb_key, processed.thumbnail, processed.content_type)
    photo = Photo(
        client_id=client_id,
        content_hash=digest,
        visit_id=visit.id,
        criterion_id=criterion_id,
        caption=caption,
        image_key=image_key,
        thumbnail_key=thumb_key,
        width=processed.width,
        height=processed.height,
        size=len(processed.image),
        author_id=actor.id,
    )
    db.session.add(photo)
    db.session.flush()
    audit.record("photo_added", actor=actor, target=photo, summary=f"Photo added to {visit}")
    return "stored", photo


def photos_by_criterion(visit: Visit) -> dict[int | None, list[Photo]]:
    grouped: dict[int | None, list[Photo]] = {}
    for photo in db.session.scalars(
        select(Photo).where(Photo.visit_id == visit.id).order_by(Photo.id)
    ):
        grouped.setdefault(photo.criterion_id, []).append(photo)
    return grouped
