"""The visit list and a visit's page cost the same few queries whatever the data's size; the
lists page in SQL with their filters; inviting people is a search of at most 20 matches."""

from __future__ import annotations

import html
import itertools
import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from qa_portal.accounts.models import User
from qa_portal.db import db, utcnow
from qa_portal.frameworks.services import current_framework
from qa_portal.outbox import OutboxMessage
from qa_portal.partnerships.models import School
from qa_portal.providers.models import Provider
from qa_portal.visits.models import (
    Amendment,
    FollowUpAction,
    PupilSeen,
    Visit,
    VisitInvitee,
    VisitStatus,
    VisitType,
)
from tests import factories
from tests.conftest import count_queries

_grown = itertools.count(1)
CHECKBOX_LABEL = re.compile(
    r'<label class="[^"]*govuk-checkboxes__label"[^>]*>\s*(.*?)\s*</label>', re.S
)


@dataclass
class Scene:
    people: dict[str, User]
    provider: Provider
    open_visit: Visit
    published: Visit


@pytest.fixture
def scene():
    hbep = factories.partnership("HBEP")
    lead = factories.user("staff", name="Lena Lead")
    head = factories.user("head", name="Hana Head")
    at = factories.provider("Riverbank Skills")
    at.partnerships.append(hbep)
    published = factories.visit(
        lead,
        at,
        visit_date=date.today() - timedelta(days=90),
        status=VisitStatus.PUBLISHED,
        published_at=utcnow(),
        signed_off_at=utcnow(),
    )
    open_visit = factories.visit(lead, at, invited=[lead, head])
    people = {
        "admin": factories.user("admin"),
        "officer": factories.user("officer"),
        "staff": lead,
        "head": head,
        "provider": factories.user("provider", provider=at),
    }
    db.session.commit()
    return Scene(people, at, open_visit, published)


def grow(scene: Scene, n: int) -> None:
    """n more of everything the two pages list: visits coming up and done, overdue providers,
    heads and staff of new schools, invitees, pupils, actions and amendments."""
    hbep = factories.partnership("HBEP")
    criterion = current_framework().areas[0].criteria[0]
    head = scene.people["head"]
    for _ in range(n):
        i = next(_grown)
        school = School(name=f"Grown School {i}", partnership=hbep)
        db.session.add(school)
        staff = factories.user("staff", name=f"Grown Staff {i}")
        grown_head = factories.user("head", name=f"Grown Head {i}", school=school)
        booked, lapsed, never = (factories.provider(f"Grown {k} {i}") for k in "BLN")
        for provider in (booked, lapsed, never):
            provider.partnerships.append(hbep)
        factories.visit(staff, booked, invited=[head], visit_date=date.today() + timedelta(days=i))
        for where, days in ((lapsed, 400 + i), (scene.provider, 100 + i)):
            factories.visit(
                staff,
                where,
                invited=[head],
                visit_date=date.today() - timedelta(days=days),
                status=VisitStatus.PUBLISHED,
                published_at=utcnow(),
            )
        scene.open_visit.invitees.append(VisitInvitee(user_id=grown_head.id))
        scene.open_visit.pupils.append(PupilSeen(name=f"Pupil {i}", school=school))
        scene.published.actions.append(
            FollowUpAction(description=f"Action {i}", owner=staff.name, due_on=date.today())
        )
        scene.published.amendments.append(
            Amendment(criterion_id=criterion.id, reason=f"Reason {i}", author=staff)
        )
    db.session.commit()


def measured(client, url: str):
    client.get(url)  # the session's first touch is not the page's
    with count_queries() as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements), response


def sizes(scene: Scene, client, urls: list[str]):
    """Each page's query count with 3 and with 30 rows of every kind, and its last response."""
    grow(scene, 3)
    small = [measured(client, url)[0] for url in urls]
    grow(scene, 27)
    large, responses = zip(*(measured(client, url) for url in urls), strict=True)
    for url, few, many, response in zip(urls, small, large, responses, strict=True):
        print(f"{url}: {few} queries at 3 rows, {many} at 30, {len(response.data):,} bytes")
        assert len(response.data) < 100_000, url
    return small, list(large)


@pytest.mark.parametrize("role", ["admin", "officer", "staff", "head", "provider"])
def test_the_visit_list_costs_the_same_queries_at_any_size(scene, login, role):
    urls = ["/visits", "/visits?show=past&page=2", "/visits?q=grown&type=annual"]
    small, large = sizes(scene, login(scene.people[role]), urls)
    assert small == large and max(large) <= 12


def test_a_visit_page_costs_the_same_queries_at_any_size(scene, login):
    """The lead with the invitation search, an invited head, the provider of a published
    visit."""
    urls = {
        "staff": f"/visits/{scene.open_visit.id}?people=grown",
        "head": f"/visits/{scene.open_visit.id}",
        "provider": f"/visits/{scene.published.id}",
    }
    clients = {who: login(scene.people[who]) for who in urls}
    grow(scene, 3)
    small = {who: measured(clients[who], url)[0] for who, url in urls.items()}
    grow(scene, 27)
    for who, url in urls.items():
        large, response = measured(clients[who], url)
        size = len(response.data)
        print(f"{who} {url}: {small[who]} queries at 3 rows, {large} at 30, {size:,} bytes")
        assert small[who] == large <= 16, who
        # The page grows with what the visit recorded (30 pupils, actions and amendments
        # here), never with the number of people who could be invited.
        assert response.data.count(b'name="invitee_ids"') <= 20, who


def cards(response, section: str) -> int:
    page = response.data.decode()
    start = page.index(f"data-{section}>")
    return page[start : page.index("</ul>", start)].count('class="portal-card"')


def test_the_overview_shows_the_first_few_of_each_list_and_links_to_all(scene, login):
    grow(scene, 12)
    page = login(scene.people["admin"]).get("/visits")
    assert cards(page, "upcoming") == cards(page, "past") == cards(page, "overdue") == 10
    text = page.data.decode()
    assert "See all 13 visits coming up" in text  # 12 grown and the scene's own
    assert "See all 24 overdue providers" in text  # the lapsed and the never-visited
    assert "See all 25 earlier visits" in text


def test_the_overdue_list_is_the_providers_without_a_visit_for_twelve_months(scene, login):
    grow(scene, 2)
    page = login(scene.people["staff"]).get("/visits?show=overdue").data.decode()
    assert "Grown L " in page and "Grown N " in page
    assert "Grown B " not in page  # booked
    assert "Riverbank Skills" not in page  # visited three months ago
    # Never visited first, then the longest since.
    assert page.index("Grown N ") < page.index("Grown L ")


def test_paging_a_list_keeps_its_filters(scene, login):
    grow(scene, 60)
    client = login(scene.people["admin"])
    page = client.get("/visits?show=past&q=grown+l&status=published").data.decode()
    assert cards_text(page).count("Grown L ") == 50 and "Riverbank" not in page
    assert "Page 1 of 2" in page
    next_link = 'href="/visits?show=past&amp;q=grown+l&amp;status=published&amp;page=2"'
    assert next_link in page
    second = client.get("/visits?show=past&q=grown+l&status=published&page=2").data.decode()
    assert cards_text(second).count("Grown L ") == 10 and "Page 2 of 2" in second


def cards_text(page: str) -> str:
    start = page.index("data-past>")
    return page[start : page.index("</ul>", start)]


@pytest.mark.parametrize(
    "query", ["/visits?type=party", "/visits?q=%00", "/visits?show=nothing", "/visits?page=x"]
)
def test_a_bad_filter_is_refused_not_a_server_error(scene, login, query):
    response = login(scene.people["admin"]).get(query)
    assert 400 <= response.status_code < 500


def test_a_visit_type_filter_narrows_the_list(scene, login):
    grow(scene, 2)
    follow = factories.visit(scene.people["staff"], visit_type=VisitType.FOLLOW_UP)
    name = follow.provider.name
    db.session.commit()
    page = login(scene.people["admin"]).get("/visits?type=follow_up").data.decode()
    assert name in page and "Grown B " not in page


# --- the people picker ---------------------------------------------------------------------------


def picker(client, visit, search: str) -> str:
    response = client.get(f"/visits/{visit.id}", query_string={"people": search})
    assert response.status_code == 200
    return response.data.decode()


def offered(page: str) -> list[str]:
    start = page.index("data-people-results")
    form = page[start : page.index("</form>", start)]
    return [html.unescape(m) for m in CHECKBOX_LABEL.findall(form)]


def test_a_role_that_cannot_invite_gets_no_picker_and_a_small_page(scene, login):
    grow(scene, 30)
    for who in ("head", "provider"):
        visit = scene.open_visit if who == "head" else scene.published
        page = picker(login(scene.people[who]), visit, "grown")
        assert "data-people-search" not in page and "invitee_ids" not in page
        assert "people.js" not in page
    assert (
        login(scene.people["head"]).get(f"/visits/{scene.open_visit.id}/people?q=a").status_code
        == 403
    )


def test_the_picker_finds_people_by_name_school_and_partnership(scene, login):
    lip = factories.partnership("LIP")
    school = School(name="Wolds Valley Academy", partnership=lip)
    db.session.add(school)
    by_school = factories.user("head", name="Sam Shore", school=school)
    by_name = factories.user("staff", name="Priya Okonkwo", partnership=lip)
    db.session.commit()
    client = login(scene.people["staff"])
    visit = scene.open_visit
    assert offered(picker(client, visit, "okonkwo")) == ["Priya Okonkwo (" + str(lip) + ")"]
    assert offered(picker(client, visit, "wolds valley")) == ["Sam Shore (Wolds Valley Academy)"]
    by_partnership = offered(picker(client, visit, "LIP"))
    assert "Sam Shore (Wolds Valley Academy)" in by_partnership
    assert f"Priya Okonkwo ({lip})" in by_partnership
    assert by_school.id and by_name.id


def test_the_picker_shows_at_most_twenty_and_only_those_who_may_be_invited(scene, login):
    grow(scene, 3)
    for i in range(25):
        factories.user("staff", name=f"Morgan Many {i:02}")
    disabled = factories.user("staff", name="Morgan Many Disabled")
    disabled.disabled_at = utcnow()
    factories.user("provider", name="Morgan Many Provider")
    factories.user("officer", name="Morgan Many Officer")
    factories.user("admin", name="Morgan Many Admin")
    db.session.commit()
    client = login(scene.people["staff"])
    page = picker(client, scene.open_visit, "morgan many")
    names = offered(page)
    assert len(names) == 20 and all(n.startswith("Morgan Many ") for n in names)
    assert not any(w in " ".join(names) for w in ("Disabled", "Provider", "Officer", "Admin"))
    assert "Refine your search" in page
    # Those already invited are not offered again.
    assert offered(picker(client, scene.open_visit, "grown head")) == []
    assert offered(picker(client, scene.open_visit, "hana")) == []


def test_the_json_search_gives_the_same_matches(scene, login):
    for i in range(25):
        factories.user("head", name=f"Jo Json {i:02}")
    gone = factories.user("head", name="Jo Json Gone")
    gone.disabled_at = utcnow()
    factories.user("provider", name="Jo Json Provider")
    db.session.commit()
    client = login(scene.people["staff"])
    url = f"/visits/{scene.open_visit.id}/people"
    found = client.get(url, query_string={"q": "jo json"}).get_json()
    assert len(found["people"]) == 20 and found["more"] is True
    assert {p["label"].split(" (")[0] for p in found["people"]} <= {
        f"Jo Json {i:02}" for i in range(25)
    }
    assert client.get(url, query_string={"q": "Hana"}).get_json() == {"people": [], "more": False}
    assert client.get(url, query_string={"q": "a\x00"}).status_code == 400
    # A visit that is signed off takes no more invitations.
    assert client.get(f"/visits/{scene.published.id}/people?q=jo").status_code == 403


def test_inviting_from_the_search_emails_those_ticked(scene, login):
    grow(scene, 1)
    pick = factories.user("head", name="Iris Invitee", email="iris@example.org")
    school = pick.school.name
    db.session.commit()
    client = login(scene.people["staff"])
    visit = scene.open_visit
    page = picker(client, visit, "iris")
    assert offered(page) == [f"Iris Invitee ({school})"]
    response = client.post(f"/visits/{visit.id}?people=iris", data={"invitee_ids": [str(pick.id)]})
    assert response.status_code == 302
    assert pick.id in {i.user_id for i in db.session.get(Visit, visit.id).invitees}
    to_iris = select(OutboxMessage).where(OutboxMessage.to_address == "iris@example.org")
    subjects = [m.subject for m in db.session.scalars(to_iris)]
    assert subjects == [f"QA visit: Riverbank Skills on {visit.visit_date:%-d %B %Y}"]


def test_someone_who_may_not_be_invited_is_refused(scene, login):
    provider_user = scene.people["provider"]
    client = login(scene.people["staff"])
    visit = scene.open_visit
    response = client.post(f"/visits/{visit.id}", data={"invitee_ids": [str(provider_user.id)]})
    assert "not a valid choice" in response.data.decode()
    assert provider_user.id not in {i.user_id for i in db.session.get(Visit, visit.id).invitees}


def test_the_schedule_form_offers_only_the_partnerships_staff_as_lead(scene, login):
    lip_staff = factories.user("staff", name="Lip Lead", partnership=factories.partnership("LIP"))
    factories.user("head", name="Not A Lead")
    db.session.commit()
    page = login(scene.people["staff"]).get("/visits/new").data.decode()
    assert "Lena Lead" in page
    assert lip_staff.name not in page and "Not A Lead" not in page
    assert "invitee_ids" not in page
    admin = login(scene.people["admin"])
    assert lip_staff.name not in admin.get("/visits/new").data.decode()
    lip = factories.partnership("LIP")
    assert lip_staff.name in admin.get(f"/visits/new?partnership={lip.id}").data.decode()


def test_an_admin_schedules_a_visit_led_by_another_partnerships_staff(scene, login):
    lip = factories.partnership("LIP")
    lip_staff = factories.user("staff", name="Lip Lead", partnership=lip)
    db.session.commit()
    when = date.today() + timedelta(days=3)
    response = login(scene.people["admin"]).post(
        f"/visits/new?partnership={lip.id}",
        data={
            "provider_id": str(scene.provider.id),
            "visit_type": "annual",
            "visit_date": [str(when.day), str(when.month), str(when.year)],
            "lead_id": str(lip_staff.id),
        },
    )
    assert response.status_code == 302
    visit = db.session.scalars(select(Visit).where(Visit.lead_id == lip_staff.id)).one()
    assert visit.partnership_id == lip.id
    assert [i.user_id for i in visit.invitees] == [lip_staff.id]
