"""The placements' events on a pupil's timeline: each placement's start, its reviews, its end."""

from __future__ import annotations

from datetime import date, datetime, time

from flask import url_for

from qa_portal import policy
from qa_portal.accounts.models import User
from qa_portal.clock import LONDON
from qa_portal.placements import services
from qa_portal.pupils.models import Pupil
from qa_portal.pupils.timeline import Event, source


def _on(day: date) -> datetime:
    # A date has no time of day; midday keeps it on its day in any time zone shown.
    return datetime.combine(day, time(12), tzinfo=LONDON)


@source
def placements(pupil: Pupil, user: User) -> list[Event]:
    """The pupil's placements the user may read, their reviews and endings."""
    events = []
    for p in services.timeline_rows(pupil, policy.placements_for(user)):
        href = url_for("placements.detail", placement_id=p.id)
        events.append(
            Event(
                when=_on(p.start_date),
                kind="Placement started",
                text=f"{p.provider.name}, {p.hours_per_week} hours a week",
                href=href,
            )
        )
        events += [
            Event(
                when=_on(r.held_on),
                kind="Placement reviewed",
                text=f"Review of the placement with {p.provider.name}",
                href=href,
            )
            for r in p.reviews
        ]
        if p.finish_date is not None:
            events.append(
                Event(
                    when=_on(p.finish_date),
                    kind="Placement ended",
                    text=f"{p.provider.name}: {p.destination.label.lower()}",
                    href=href,
                )
            )
    return events
