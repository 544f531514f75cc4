"""The contract register: each role's contracts, the filters and search in SQL, paging, the
count of contracts ending within 30 days, and a provider's contracts on its page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from qa_portal.db import db
from tests import factories
from tests.contracts.conftest import TODAY, used_provider


def shown(page: str) -> list[str]:
    """The references the register lists, in order."""
    return re.findall(r'data-contract="\d+">\s*<h2[^>]*><a[^>]*>([^<]+)</a>', page)


@pytest.fixture
def county():
    """Contracts of HBEP (one per state, one commissioned by the head's school) and of LIP."""
    riverside, bridgeway = used_provider(name="Riverside Motors"), used_provider(name="Bridgeway")
    head_school = factories.school("HBEP", 0)
    day = timedelta(days=1)
    made = {
        "ending": factories.contract(
            riverside, reference="HB-ENDING", start=TODAY - 200 * day, end=TODAY + 30 * day
        ),
        "current": factories.contract(
            bridgeway,
            school_record=head_school,
            reference="HB-CURRENT",
            start=TODAY - 10 * day,
            end=TODAY + 31 * day,
        ),
        "ended": factories.contract(
            riverside, reference="HB-ENDED", start=TODAY - 400 * day, end=TODAY - day
        ),
        "not_started": factories.contract(
            bridgeway, reference="HB-LATER", start=TODAY + day, end=TODAY + 100 * day
        ),
        "lip": factories.contract(
            riverside, "LIP", reference="LIP-1", start=TODAY - day, end=TODAY + 5 * day
        ),
    }
    db.session.commit()
    return riverside, bridgeway, made


def test_staff_see_their_partnerships_contracts_ending_soonest_first(login, county):
    page = login(factories.user("staff")).get("/contracts").data.decode()
    assert shown(page) == ["HB-ENDING", "HB-CURRENT", "HB-LATER", "HB-ENDED"]
    assert "LIP-1" not in page
    assert 'data-contract-state="ending"' in page
    assert re.search(r'href="/contracts\?status=ending">1 contract ends within 30 days</a>', page)


def test_county_wide_roles_see_every_partnership_and_may_narrow_to_one(login, county):
    client = login(factories.user("officer"))
    page = client.get("/contracts").data.decode()
    assert set(shown(page)) == {"HB-ENDING", "HB-CURRENT", "HB-LATER", "HB-ENDED", "LIP-1"}
    assert "2 contracts end within 30 days" in page and "£12,000.00" in page
    assert shown(client.get("/contracts?partnership=LIP").data.decode()) == ["LIP-1"]
    assert "Add a contract" not in page  # officers read only


def test_staff_have_no_partnership_filter_and_cannot_reach_anothers(login, county):
    client = login(factories.user("staff"))
    page = client.get("/contracts?partnership=LIP").data.decode()
    assert 'name="partnership"' not in page
    assert "LIP-1" not in page


def test_a_head_sees_only_their_schools_contracts(login, county):
    head = factories.user("head", school=factories.school("HBEP", 0))
    db.session.commit()
    assert shown(login(head).get("/contracts").data.decode()) == ["HB-CURRENT"]


def test_a_provider_sees_the_contracts_it_is_party_to(login, county):
    riverside, _, _ = county
    client = login(factories.user("provider", provider=riverside))
    page = client.get("/contracts").data.decode()
    assert shown(page) == ["LIP-1", "HB-ENDING", "HB-ENDED"]
    assert "Add a contract" not in page


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("ending", ["HB-ENDING"]),
        ("current", ["HB-CURRENT"]),
        ("ended", ["HB-ENDED"]),
        ("not_started", ["HB-LATER"]),
    ],
)
def test_the_status_filter(login, county, status, expected):
    page = login(factories.user("staff")).get(f"/contracts?status={status}").data.decode()
    assert shown(page) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("hb-end", ["HB-ENDING", "HB-ENDED"]),
        ("LATER", ["HB-LATER"]),
        ("bridgeway", ["HB-CURRENT", "HB-LATER"]),
        ("RIVERSIDE mot", ["HB-ENDING", "HB-ENDED"]),
        ("100%", []),
    ],
)
def test_search_by_reference_or_provider_name(login, county, query, expected):
    client = login(factories.user("staff"))
    assert shown(client.get("/contracts", query_string={"q": query}).data.decode()) == expected


def test_the_provider_filter_names_the_provider(login, county):
    riverside, _, _ = county
    page = login(factories.user("staff")).get(f"/contracts?provider={riverside.id}").data.decode()
    assert shown(page) == ["HB-ENDING", "HB-ENDED"]
    assert "Contracts with" in page and "Riverside Motors" in page


@pytest.mark.parametrize(
    "query", ["status=purple", "provider=abc", "provider=-1", "partnership=NOPE"]
)
def test_a_bad_filter_shows_the_list_unfiltered_with_its_error(login, county, query):
    response = login(factories.user("admin")).get(f"/contracts?{query}")
    assert response.status_code == 400
    assert len(shown(response.data.decode())) == 5


def test_the_register_pages_50_at_a_time(login):
    provider = used_provider()
    for n in range(51):
        factories.contract(provider, reference=f"P-{n:03d}", end=TODAY + timedelta(days=40 + n))
    db.session.commit()
    client = login(factories.user("staff"))
    first = client.get("/contracts").data.decode()
    assert len(shown(first)) == 50 and "51 contracts" in first and "Page 1 of 2" in first
    assert shown(client.get("/contracts?page=2").data.decode()) == ["P-050"]
    assert client.get("/contracts?page=0").status_code == 404  # not a page of any list


def test_the_providers_page_lists_the_contracts_the_user_may_see(login, county):
    riverside, _, _ = county
    staff_page = login(factories.user("staff")).get(f"/providers/{riverside.id}").data.decode()
    listed = staff_page[staff_page.index("data-provider-contracts") :]
    assert "HB-ENDING" in listed and "HB-ENDED" in listed and "LIP-1" not in listed
    assert "Add a contract with Riverside Motors" in staff_page
    head = factories.user("head", school=factories.school("HBEP", 0))
    db.session.commit()
    head_page = login(head).get(f"/providers/{riverside.id}").data.decode()
    assert "No contracts recorded" in head_page and "Add a contract" not in head_page


def test_a_provider_page_with_many_contracts_links_to_them_all(login):
    provider = used_provider(name="Busy Provider")
    for n in range(12):
        factories.contract(provider, reference=f"B-{n:02d}")
    db.session.commit()
    page = login(factories.user("staff")).get(f"/providers/{provider.id}").data.decode()
    assert f'href="/contracts?provider={provider.id}">See all 12 contracts' in page


def test_contract_pages_show_each_role_what_policy_allows(login, county):
    _, _, made = county
    contract = made["current"]
    officer = login(factories.user("officer")).get(f"/contracts/{contract.id}").data.decode()
    assert "£12,000.00" in officer and "Edit the contract" not in officer
    staff = login(factories.user("staff")).get(f"/contracts/{contract.id}").data.decode()
    assert "Edit the contract" in staff
    head = factories.user("head", school=factories.school("HBEP", 0))
    db.session.commit()
    page = login(head).get(f"/contracts/{contract.id}").data.decode()
    assert "HB-CURRENT" in page and "Edit the contract" not in page
    assert login(head).get(f"/contracts/{made['ending'].id}").status_code == 404
