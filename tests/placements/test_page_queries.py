"""The placement pages ask the database the same number of questions at 3 placements and 30."""

from __future__ import annotations

import pytest

from qa_portal.db import db
from tests import factories
from tests.pupils.test_page_queries import queries_for


def grow(count: int, provider, worker) -> None:
    for n in range(count):
        code = ("HBEP", "LIP")[n % 2]
        pupil = factories.pupil(
            factories.school(code, n % 2), key_worker=worker if code == "HBEP" else None
        )
        factories.placement(pupil, provider)
    db.session.commit()


@pytest.mark.parametrize("role", ["admin", "staff", "head", "provider"])
@pytest.mark.parametrize("path", ["/placements", "/placements?q=sam&status=current&reviews=due"])
def test_the_placement_list_asks_the_same_questions_at_any_size(login, role, path):
    provider = factories.compliant_provider()
    user = factories.user(role, **({"provider": provider} if role == "provider" else {}))
    worker = factories.user("staff")
    client = login(user)
    grow(3, provider, worker)
    small = queries_for(client, path)
    grow(27, provider, worker)
    print(f"{path} {role}: {small} queries at 3 placements")
    assert queries_for(client, path) == small


def test_a_placements_page_asks_the_same_questions_however_many_reviews(login):
    from datetime import date, timedelta

    from qa_portal.placements import services
    from qa_portal.placements.models import Progress

    staff = factories.user("staff")
    placement = factories.placement(start=date.today() - timedelta(days=300))
    db.session.commit()
    client = login(staff)

    def review(times: int) -> None:
        for _ in range(times):
            progress = [services.ProgressIn(t.id, Progress.SOME) for t in placement.targets]
            services.record_review(
                staff, placement, date.today(), "Us", "", None, progress, date.today()
            )
        db.session.commit()

    review(1)
    small = queries_for(client, f"/placements/{placement.id}")
    review(5)
    assert queries_for(client, f"/placements/{placement.id}") == small
