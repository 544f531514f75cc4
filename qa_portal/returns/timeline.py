"""The termly returns' events on a pupil's timeline: each return sent in, with its status."""

from __future__ import annotations

from flask import url_for
from sqlalchemy.orm import joinedload

from qa_portal import policy, terms
from qa_portal.accounts.models import User
from qa_portal.db import db
from qa_portal.placements.models import Placement
from qa_portal.pupils.models import Pupil
from qa_portal.pupils.timeline import Event, source
from qa_portal.returns.models import TermlyReturn

SHOWN = 30  # ten years of terms, more than a pupil's placements last


@source
def returns(pupil: Pupil, user: User) -> list[Event]:
    """The pupil's returns the user may read that were sent in, newest first, in one query."""
    stmt = (
        policy.returns_for(user)
        .join(TermlyReturn.placement)
        .where(Placement.pupil_id == pupil.id, TermlyReturn.submitted_at.is_not(None))
        .options(joinedload(TermlyReturn.placement).joinedload(Placement.provider))
        .order_by(None)
        .order_by(TermlyReturn.submitted_at.desc())
        .limit(SHOWN)
    )
    calendar = terms.calendar()
    return [
        Event(
            when=r.submitted_at,
            kind="Termly return",
            text=f"{calendar.term(r.term_year, r.term_season).label} from "
            f"{r.placement.provider.name}: {r.status.label.lower()}",
            href=url_for("returns.detail", return_id=r.id),
        )
        for r in db.session.scalars(stmt)
    ]
