"""The register and the expiring list filtered, sorted and paged in SQL, by the same rule as
each provider's page; a refused status change shows the whole provider page again."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

import pytest
from sqlalchemy import select

from qa_portal.db import db
from qa_portal.providers import views
from qa_portal.providers.compliance import State, assess, compliance_for, state_sql, states_sql
from qa_portal.providers.models import ItemStatus, Provider
from qa_portal.visits.models import AreaJudgement, Judgement, VisitStatus
from tests import factories

TODAY = date(2026, 11, 23)


@pytest.fixture
def fixed_clock(monkeypatch):
    monkeypatch.setattr("qa_portal.clock.today", lambda: TODAY)
    return TODAY


def with_public_liability(provider, days: int, **fields):
    factories.item(provider, "public_liability", expiry=TODAY + timedelta(days=days), **fields)
    return provider


def a_mixed_register() -> list[Provider]:
    """Providers whose evidence is fine, expiring, expired, missing, short or superseded."""
    make = factories.compliant_provider
    providers = [
        make("Rule Fine Ltd"),
        with_public_liability(make("Rule Due Today Ltd"), 0),
        with_public_liability(make("Rule Due In 30 Ltd"), 30),
        with_public_liability(make("Rule Due In 31 Ltd"), 31),
        with_public_liability(make("Rule Expired Yesterday Ltd"), -1),
        factories.provider("Rule Nothing Yet Ltd"),
        make("Rule Transports Ltd"),
        make("Rule Short Cover Ltd"),
        # The newest verified evidence counts, whatever came before it.
        with_public_liability(with_public_liability(make("Rule Renewed Ltd"), -20), 200),
        with_public_liability(with_public_liability(make("Rule Lapsed Again Ltd"), 200), -2),
        # An upload awaiting verification does not count yet.
        with_public_liability(
            with_public_liability(make("Rule Awaiting Ltd"), -3),
            300,
            status=ItemStatus.AWAITING_VERIFICATION,
        ),
    ]
    providers[6].transports_pupils = True  # and has no motor insurance
    employers = next(
        k for k in assess(providers[7], TODAY).kinds if k.kind.code == "employers_liability"
    )
    employers.item.cover_amount = 1_000_000
    db.session.commit()
    return providers


def names_on(page: str) -> list[str]:
    """The providers listed on a page of the register, in order."""
    return [unescape(m) for m in re.findall(r'href="/providers/\d+">([^<]+)</a></h2>', page)]


def test_the_state_in_sql_is_the_state_of_each_provider_page(fixed_clock):
    providers = a_mixed_register()
    expected = {p.id: int(assess(p, TODAY).state) for p in providers}
    assert set(expected.values()) == {0, 1, 2}
    states = states_sql(TODAY)
    rows = db.session.execute(
        select(states.c.provider_id, states.c.state).where(states.c.provider_id.in_(expected))
    ).all()
    assert dict(rows) == expected
    one_by_one = select(Provider.id, state_sql(TODAY)).where(Provider.id.in_(expected))
    assert dict(db.session.execute(one_by_one).all()) == expected


@pytest.mark.parametrize("state", list(State))
def test_the_compliance_filter_agrees_with_the_rule(fixed_clock, login, state):
    providers = a_mixed_register()
    client = login(factories.user("officer"))
    page = client.get(f"/providers?compliance={int(state)}&q=rule+").data.decode()
    expected = sorted(p.name for p in providers if assess(p, TODAY).state is state)
    assert expected, "each state has a provider"
    assert names_on(page) == expected
    assert page.count(f'data-compliance="{state.name.lower()}"') == len(expected)


def test_pages_keep_the_filters_and_the_sort(fixed_clock, login, monkeypatch):
    monkeypatch.setattr(views, "PER_PAGE", 3)
    providers = a_mixed_register()
    factories.compliant_provider("Unrelated Provider Ltd")
    db.session.commit()
    client = login(factories.user("staff"))
    path, seen = "/providers?q=rule&sort=state", []
    while path:
        page = client.get(path).data.decode()
        assert "11 providers" in page
        seen += names_on(page)
        following = re.search(r'href="([^"]+)" rel="next"', page)
        path = unescape(following.group(1)) if following else None
        if path:
            assert "q=rule" in path and "sort=state" in path
    assert len(seen) == len(providers)
    by_urgency = sorted(providers, key=lambda p: (-assess(p, TODAY).state, p.name))
    assert seen == [p.name for p in by_urgency]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("compliance=9", "Not a valid choice"),
        ("ofsted=never", "Not a valid choice"),
        ("sort=price", "Not a valid choice"),
        ("status=open", "Not a valid choice"),
    ],
)
def test_a_filter_that_is_not_a_choice_is_shown_next_to_it(login, query, message):
    factories.provider("Still Listed Ltd")
    db.session.commit()
    response = login(factories.user("officer")).get(f"/providers?{query}")
    assert response.status_code == 400
    page = response.data.decode()
    assert "govuk-error-message" in page and message in page
    assert "Still Listed Ltd" in page  # the list unfiltered


def test_a_page_that_is_not_a_number_is_not_found(login):
    client = login(factories.user("officer"))
    assert client.get("/providers?page=two").status_code == 404
    assert client.get("/compliance/expiring?page=-1").status_code == 404


def test_the_expiring_list_is_paged_most_urgent_first(fixed_clock, login, monkeypatch):
    monkeypatch.setattr(views, "PER_PAGE", 2)
    providers = a_mixed_register()
    client = login(factories.user("admin"))
    path, rows = "/compliance/expiring", []
    while path:
        page = client.get(path).data.decode()
        listed = page.split("data-expiring>")[1].split("</ul>")[0]
        rows += [
            (unescape(name), unescape(reason).strip())
            for name, reason in re.findall(
                r'">(Rule [^<]+)</a></h3>.*?<strong>[^<]+</strong>: ([^<(]+)', listed, re.S
            )
        ]
        following = re.search(r'href="([^"]+)" rel="next"', page)
        path = unescape(following.group(1)) if following else None
    # The page-by-page list is the Python rule's, most urgent first: missing or short first,
    # then the longest expired, then what expires soonest.
    problems = sorted(
        (
            (-k.state, k.days_left if k.days_left is not None else -(10**6), a.provider.name, k)
            for a in compliance_for(providers, TODAY).values()
            for k in a.problems
        ),
        key=lambda row: (*row[:3], row[3].kind.position),
    )
    expected = [(name, k.reason) for _, _, name, k in problems]
    assert rows == expected and len(rows) > 2 * views.PER_PAGE
    reasons = [reason for _, reason in rows]
    names = [name for name, _ in rows]
    assert "Rule Renewed Ltd" not in names and "Rule Due In 31 Ltd" not in names
    assert reasons[-2:] == ["Expires today", "Expires in 30 days"]


def test_a_refused_status_change_shows_the_visits_and_current_ratings(login):
    staff = factories.user("staff")
    provider = factories.compliant_provider("Rated Provider Ltd")
    visit = factories.visit(staff, provider, status=VisitStatus.SIGNED_OFF, overall=Judgement.AMBER)
    area = visit.framework.areas[0]
    db.session.add(AreaJudgement(visit_id=visit.id, area_id=area.id, judgement=Judgement.GREEN))
    db.session.commit()
    client = login(staff)
    response = client.post(
        f"/providers/{provider.id}/status",
        data={"status": "suspended", "reason": "", "effective_on": ["1", "12", "2026"]},
    )
    assert response.status_code == 400
    page = response.data.decode()
    assert "Enter the reason for the change" in page
    assert "No visits recorded yet" not in page
    assert f'href="/visits/{visit.id}"' in page
    ratings = page.split("data-current-ratings>")[1].split("</dl>")[0]
    assert area.name in unescape(ratings) and "Green: strong" in ratings
    assert "Amber: secure, with development points" in ratings
