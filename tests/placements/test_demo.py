"""The demo's placements: most pupils placed, agreements with three to five targets, some
ended with outcomes, reviews held, one overdue on HBEP's co-ordinator's home page, nine
current at the demo provider, hours per week shaped like the partnerships' table 7."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from qa_portal import clock, demo
from qa_portal.accounts.models import User
from qa_portal.db import db
from qa_portal.placements.demo import HOURS
from qa_portal.placements.models import Placement, Review
from qa_portal.pupils.models import Pupil
from tests.conftest import sign_in


def test_the_demo_places_most_pupils_with_plans_reviews_and_endings():
    demo.seed()
    today = clock.today()
    placements = db.session.scalars(
        select(Placement).options(selectinload(Placement.targets))
    ).all()
    pupils = db.session.scalar(select(func.count()).select_from(Pupil))
    placed = {p.pupil_id for p in placements}
    assert len(placed) > pupils * 0.8
    assert all(3 <= len(p.targets) <= 5 for p in placements)
    ended = [p for p in placements if p.finish_date]
    assert ended and all(t.outcome for p in ended for t in p.targets)
    assert db.session.scalar(select(func.count()).select_from(Review)) > len(placements)
    assert any(p.contract_id for p in placements)
    running = [p for p in placements if not p.finish_date]
    assert sum(p.next_review_on < today for p in running if p.next_review_on) == 1
    assert any(0 <= (p.next_review_on - today).days <= 7 for p in running if p.next_review_on)
    hours = defaultdict(list)
    for p in placements:
        hours[p.pupil.school.partnership.code].append(float(p.hours_per_week))
    for code, average in HOURS.items():
        assert abs(sum(hours[code]) / len(hours[code]) - average) < 1.0, code


def test_the_demo_provider_has_nine_current_placements():
    demo.seed()
    provider_user = db.session.scalars(
        select(User).where(User.email == "provider@example.org")
    ).one()
    today = clock.today()
    current = db.session.scalar(
        select(func.count())
        .select_from(Placement)
        .where(
            Placement.provider_id == provider_user.provider_id,
            Placement.finish_date.is_(None),
            Placement.start_date <= today,
        )
    )
    assert current == 9


def test_the_coordinators_home_page_shows_the_overdue_review(app):
    demo.seed()
    db.session.commit()
    client = app.test_client()
    staff = db.session.scalars(select(User).where(User.email == "staff.hbep@example.org")).one()
    assert sign_in(client, staff, demo.DEMO_PASSWORD).status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert '<span class="portal-needs__count">1</span>placement with a review overdue' in page
