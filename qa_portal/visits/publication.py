"""Publishing a signed-off visit to its provider, whose users are emailed the report's link."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from qa_portal import audit, outbox
from qa_portal.accounts.models import User
from qa_portal.db import db, utcnow
from qa_portal.visits.models import Visit, VisitStatus
from qa_portal.visits.signoff import SignOffError


def publish(actor: User, visit: Visit, link: Callable[[Visit], str]) -> None:
    if visit.status is not VisitStatus.SIGNED_OFF:
        raise SignOffError("Only a signed-off visit can be published", "overall")
    visit.status, visit.published_at = VisitStatus.PUBLISHED, utcnow()
    for email in db.session.scalars(
        select(User.email).where(User.provider_id == visit.provider_id, User.disabled_at.is_(None))
    ):
        outbox.queue(
            email,
            f"QA visit report: {visit.provider.name}",
            f"The report of the {visit.visit_type.label.lower()} QA visit on "
            f"{visit.visit_date:%-d %B %Y} is ready, with "
            f"{len(visit.actions)} follow-up action(s) for you to answer:\n"
            f"{link(visit)}\n",
        )
    db.session.flush()
    audit.record("visit_published", actor=actor, target=visit, summary=f"Published {visit}")
