"""The visits' events on a pupil's timeline: each visit the pupil was seen on."""

from __future__ import annotations

from datetime import datetime, time

from flask import url_for
from sqlalchemy import select

from qa_portal import policy
from qa_portal.accounts.models import User
from qa_portal.clock import LONDON
from qa_portal.db import db
from qa_portal.providers.models import Provider
from qa_portal.pupils.models import Pupil
from qa_portal.pupils.timeline import Event, source
from qa_portal.visits.models import PupilSeen, Visit

# The most visits shown: a pupil is seen a few times a year.
VISITS_SHOWN = 50


@source
def seen_on_visits(pupil: Pupil, user: User) -> list[Event]:
    """The visits the pupil was recorded as seen on (ticked from the placements, not free
    text), among those the user may read, in one query."""
    readable = policy.visits_for(user).with_only_columns(Visit.id).order_by(None)
    stmt = (
        select(Visit.id, Visit.visit_date, Provider.name)
        .join(PupilSeen, PupilSeen.visit_id == Visit.id)
        .join(Provider, Provider.id == Visit.provider_id)
        .where(PupilSeen.pupil_id == pupil.id, Visit.id.in_(readable))
        .order_by(Visit.visit_date.desc(), Visit.id.desc())
        .limit(VISITS_SHOWN)
    )
    return [
        Event(
            # A date has no time of day; midday keeps it on its day in any time zone shown.
            when=datetime.combine(day, time(12), tzinfo=LONDON),
            kind="Seen on a visit",
            text=f"Seen on a visit to {provider} on {day:%-d %B %Y}",
            href=url_for("visits.detail", visit_id=visit_id),
        )
        for visit_id, day, provider in db.session.execute(stmt)
    ]
