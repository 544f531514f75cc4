"""The pupil pages ask the database the same number of questions at 3 pupils and at 30."""

from __future__ import annotations

import pytest

from qa_portal.db import db
from tests import factories
from tests.conftest import count_queries


def grow(count: int) -> None:
    """`count` more pupils across HBEP's and LIP's schools, each with a key worker."""
    workers = {
        code: factories.user("staff", partnership=factories.partnership(code))
        for code in ("HBEP", "LIP")
    }
    for n in range(count):
        code = ("HBEP", "LIP")[n % 2]
        factories.pupil(
            factories.school(code, n % 2),
            key_worker=workers[code],
            year_group=7 + n % 5,
            ehcp=n % 7 == 0,
            pupil_premium=n % 2 == 0,
        )
    db.session.commit()


def queries_for(client, path: str) -> int:
    client.get(path)  # the first request of a session warms caches
    with count_queries() as queries:
        response = client.get(path)
    assert response.status_code == 200, response.data
    return len(queries)


@pytest.mark.parametrize("role", ["admin", "officer", "staff", "head"])
@pytest.mark.parametrize("path", ["/pupils", "/pupils?q=sam&partnership=HBEP"])
def test_the_pupil_list_asks_the_same_questions_at_any_size(login, role, path):
    client = login(factories.user(role))
    grow(3)
    small = queries_for(client, path)
    grow(27)
    print(f"{path} {role}: {small} queries at 3 pupils")
    assert queries_for(client, path) == small


def test_a_pupils_page_asks_the_same_questions_however_long_its_history(login):
    staff = factories.user("staff")
    pupil = factories.pupil(key_worker=staff)
    db.session.commit()
    client = login(staff)

    def edit(times: int) -> None:
        from qa_portal import audit

        for n in range(times):
            audit.record("pupil_changed", actor=staff, target=pupil, pupil=pupil, summary=f"{n}")
        db.session.commit()

    edit(3)
    small = queries_for(client, f"/pupils/{pupil.id}")
    edit(27)
    print(f"/pupils/<id> staff: {small} queries at 3 changes")
    assert queries_for(client, f"/pupils/{pupil.id}") == small
