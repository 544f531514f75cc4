"""A visit's PDF report: rendered from what was recorded, stored as its transaction commits."""

from __future__ import annotations

from sqlalchemy import select

from qa_portal import storage
from qa_portal.db import db
from qa_portal.frameworks.models import FrameworkArea
from qa_portal.visits.checklist import answers_by_criterion, observations_by_criterion
from qa_portal.visits.models import Visit
from qa_portal.visits.photos import photos_by_criterion


def render_report(visit: Visit) -> bytes:
    # Imported here: WeasyPrint loads Pango when imported, and only reports need it.
    from qa_portal import pdf

    answers = answers_by_criterion(visit)
    grouped = photos_by_criterion(visit)
    backend = storage.get_storage()
    resources = {
        f"photo-{p.id}": (backend.get(p.thumbnail_key), "image/jpeg")
        for photos in grouped.values()
        for p in photos
    }
    areas = db.session.scalars(
        select(FrameworkArea)
        .where(FrameworkArea.framework_id == visit.framework_id)
        .order_by(FrameworkArea.position)
    )
    judgements = {j.area_id: j for j in visit.judgements}
    return pdf.render_pdf(
        "pdf/visit_report.html",
        resources=resources,
        visit=visit,
        areas=list(areas),
        answers=answers,
        photos=grouped,
        judgements=judgements,
        observations=observations_by_criterion(visit),
        criteria={c.id: c for area in visit.framework.areas for c in area.criteria},
    )


def store_report(visit: Visit) -> None:
    """Render and store the report. The file it replaces is deleted only once the new key is
    committed; if the transaction is rolled back, the new file goes instead."""
    data = render_report(visit)
    key = storage.put_pending(
        storage.new_key(f"visits/{visit.id}/reports", ".pdf"), data, "application/pdf"
    )
    if visit.report_key:
        storage.delete_after_commit(visit.report_key)
    visit.report_key = key
    db.session.flush()
