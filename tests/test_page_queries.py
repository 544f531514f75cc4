"""The home page and the lists of the admin and partnership pages run the same number of SQL
queries with 3 records of each kind as with 30: nothing is loaded row by row."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from qa_portal import audit, clock, outbox
from qa_portal.db import db
from qa_portal.partnerships.models import School
from qa_portal.providers.models import ItemStatus
from qa_portal.visits.models import FollowUpAction, VisitStatus
from tests import factories
from tests.conftest import count_queries

_serial = itertools.count(1)
CODES = ("HBEP", "LIP", "MSCIP", "NWLLIP", "SLIP")

PAGES = [
    ("admin", "/"),
    ("officer", "/"),
    ("staff", "/"),
    ("head", "/"),
    ("provider", "/"),
    ("admin", "/admin/audit"),
    ("admin", "/admin/audit?actor=example&action=sign_in&target_type=Provider"),
    ("admin", "/admin/audit?date_from=2020-01-01&date_to=2099-12-31&page=2"),
    ("admin", "/admin/users"),
    ("admin", "/admin/users?status=active&role=head"),
    ("admin", "/admin/outbox"),
    ("admin", "/partnerships"),
    ("staff", "/partnerships"),
    ("admin", "/partnerships/HBEP"),
    ("staff", "/partnerships/HBEP"),
    ("staff", "/visits/actions"),
    ("admin", "/visits/actions"),
]


def grow(n: int, people: dict) -> None:
    """n more of every kind of record the pages list: providers used by HBEP (one piece of
    evidence expired, one awaiting verification), a visit to come and a published one with a
    follow-up action due, users of three roles, audit events, emails and member schools."""
    today = clock.today()
    hbep = factories.partnership("HBEP")
    lead, head = people["staff"], people["head"]
    for _ in range(n):
        i = next(_serial)
        provider = factories.compliant_provider(f"Grown Provider {i}")
        provider.partnerships.append(hbep)
        factories.item(provider, "public_liability", expiry=today - timedelta(days=3))
        factories.item(provider, "staff_checks", status=ItemStatus.AWAITING_VERIFICATION)
        other_lead = factories.user("staff")  # each visit led by someone else
        factories.visit(
            other_lead, at=provider, invited=[lead, head], visit_date=today + timedelta(days=i)
        )
        published = factories.visit(
            other_lead,
            at=provider,
            invited=[head],
            visit_date=today - timedelta(days=400),
            status=VisitStatus.PUBLISHED,
            published_at=datetime.now(UTC) - timedelta(days=390),
        )
        published.actions.append(
            FollowUpAction(description="Log fire drills", owner="Manager", due_on=today)
        )
        school = School(name=f"Grown School {i}", partnership=hbep)
        db.session.add(school)
        # Users with an affiliation each of their own, as the users list shows them.
        factories.user("staff", partnership=factories.partnership(CODES[i % len(CODES)]))
        factories.user("head", school=school)
        factories.user("provider")
        audit.record("sign_in", actor=other_lead, target=provider, summary=f"Grown {i}")
        outbox.queue(f"grown{i}@example.org", f"Grown {i}", "Hello")
    db.session.commit()


def measure(clients: dict) -> dict[tuple[str, str], int]:
    counts = {}
    for role, url in PAGES:
        client = clients[role]
        client.get(url)  # warm: the session's first touch and the framework cache
        with count_queries() as statements:
            response = client.get(url)
        assert response.status_code == 200, (role, url, response.status_code)
        counts[(role, url)] = len(statements)
    return counts


def test_every_listed_page_runs_the_same_queries_with_3_and_30_records(login):
    people = {role: factories.user(role) for role in ("admin", "officer", "staff", "head")}
    people["provider"] = factories.user("provider", provider=factories.compliant_provider())
    db.session.commit()
    clients = {role: login(user) for role, user in people.items()}
    grow(3, people)
    small = measure(clients)
    grow(27, people)
    large = measure(clients)
    for page, count in small.items():
        print(f"queries {page[0]} {page[1]}: {count} with 3, {large[page]} with 30")
    assert large == small
    assert max(small.values()) <= 12, small
