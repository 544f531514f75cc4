"""The register's pages ask the database the same number of questions at 3 providers and at 30."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from qa_portal.db import db
from qa_portal.providers.models import (
    ItemStatus,
    ProviderStatus,
    ProviderStatusChange,
    VocationalArea,
)
from qa_portal.visits.models import VisitStatus
from tests import factories
from tests.conftest import count_queries

_names = itertools.count(1)


def grow(count: int, partnership_code: str = "HBEP") -> None:
    """`count` more providers with areas, a partnership, evidence in every state, a status
    change, an upload awaiting verification and a visit each."""
    areas = db.session.scalars(select(VocationalArea).order_by(VocationalArea.id)).all()
    partnership = factories.partnership(partnership_code)
    lead = factories.user("staff", partnership=partnership)
    today = date.today()
    for n in range(count):
        provider = factories.compliant_provider(f"Grown Provider {next(_names):04d}")
        provider.vocational_areas.extend(areas[n % len(areas) : n % len(areas) + 2])
        provider.partnerships.append(partnership)
        factories.item(provider, "public_liability", expiry=today + timedelta(days=n % 40 - 5))
        factories.item(provider, "safeguarding_policy", status=ItemStatus.AWAITING_VERIFICATION)
        db.session.add(
            ProviderStatusChange(
                provider=provider,
                status=ProviderStatus.APPROVED,
                reason="Checked",
                effective_on=today,
                changed_by=lead,
            )
        )
        factories.visit(lead, provider, status=VisitStatus.SCHEDULED)
    db.session.commit()


def queries_for(client, path: str) -> int:
    client.get(path)  # the first request of a session warms caches
    with count_queries() as queries:
        response = client.get(path)
    assert response.status_code == 200, response.data
    return len(queries)


ROLES = ("admin", "officer", "staff", "head")


@pytest.mark.parametrize("role", ROLES)
def test_the_register_asks_the_same_questions_at_any_size(login, role):
    client = login(factories.user(role))
    grow(3)
    small = queries_for(client, "/providers")
    grow(27)
    print(f"/providers {role}: {small} queries at 3 providers")
    assert queries_for(client, "/providers") == small


def test_a_provider_sees_its_own_entry_in_the_same_questions_at_any_size(login):
    grow(3)
    provider = factories.compliant_provider("Own Entry Ltd")
    db.session.commit()
    client = login(factories.user("provider", provider=provider))
    assert client.get("/providers").status_code == 302
    small = queries_for(client, f"/providers/{provider.id}")
    with count_queries() as redirect:
        client.get("/providers")
    grow(27)
    print(f"/providers provider: {len(redirect)} + {small} queries at 3 providers")
    assert queries_for(client, f"/providers/{provider.id}") == small
    with count_queries() as again:
        client.get("/providers")
    assert len(again) == len(redirect)


@pytest.mark.parametrize("role", ("admin", "staff"))
def test_the_expiring_list_asks_the_same_questions_at_any_size(login, role):
    client = login(factories.user(role))
    grow(3)
    small = queries_for(client, "/compliance/expiring")
    grow(27)
    print(f"/compliance/expiring {role}: {small} queries at 3 providers")
    assert queries_for(client, "/compliance/expiring") == small


def test_the_provider_page_asks_the_same_questions_at_any_size(login):
    grow(3)
    provider = factories.compliant_provider("Busy Provider Ltd")
    partnership = factories.partnership("HBEP")
    provider.partnerships.append(partnership)
    db.session.commit()
    staff = factories.user("staff", partnership=partnership)
    client = login(staff)

    def more(count: int) -> None:
        for _ in range(count):
            factories.visit(staff, provider, status=VisitStatus.SIGNED_OFF)
            db.session.add(
                ProviderStatusChange(
                    provider=provider,
                    status=ProviderStatus.APPROVED,
                    reason="Checked",
                    effective_on=date.today(),
                    changed_by=factories.user("staff"),
                )
            )
            factories.item(provider, "safeguarding_policy", status=ItemStatus.AWAITING_VERIFICATION)
            factories.concern(staff, at=provider)
        db.session.commit()

    more(3)
    small = queries_for(client, f"/providers/{provider.id}")
    more(27)
    print(f"/providers/<id> staff: {small} queries at 3 visits")
    assert queries_for(client, f"/providers/{provider.id}") == small
