"""Ofsted report cards (inspections from November 2025) recorded beside the old single
judgement: a grade per evaluation area and safeguarding met or not, shown and filtered by."""

from __future__ import annotations

from html import unescape

import pytest
from sqlalchemy import select

from qa_portal.db import db
from qa_portal.providers.models import (
    OFSTED_AREAS,
    OfstedGrade,
    OfstedInspectionKind,
    OfstedJudgement,
    OfstedSafeguarding,
    Provider,
)
from tests import factories
from tests.providers.test_register import provider_form

GOOD_CARD = {
    "ofsted_inclusion": "strong_standard",
    "ofsted_curriculum_teaching": "expected_standard",
    "ofsted_achievement": "expected_standard",
    "ofsted_attendance_behaviour": "needs_attention",
    "ofsted_personal_development": "exceptional",
    "ofsted_leadership_governance": "strong_standard",
    "ofsted_safeguarding": "met",
}


def report_card_form(**overrides):
    fields = {
        "ofsted_registered": "yes",
        "ofsted_urn": "2500999",
        "ofsted_registration_type": "independent_school",
        "ofsted_inspection_kind": "report_card",
        "ofsted_inspection_date": ["2", "12", "2025"],
        "ofsted_link": "https://reports.ofsted.gov.uk/provider/27/2500999",
        **GOOD_CARD,
    }
    return provider_form(**{**fields, **overrides})


def stored(name: str = "Example Motor Project") -> Provider | None:
    return db.session.scalars(select(Provider).where(Provider.name == name)).one_or_none()


@pytest.fixture
def staff(login):
    user = factories.user("staff")
    db.session.commit()
    return login(user)


def test_staff_record_a_report_card_and_the_provider_page_shows_it(staff):
    response = staff.post("/providers/new", data=report_card_form())
    assert response.status_code == 302, response.data
    provider = stored()
    assert provider.ofsted_inspection_kind is OfstedInspectionKind.REPORT_CARD
    assert provider.ofsted_attendance_behaviour is OfstedGrade.NEEDS_ATTENTION
    assert provider.ofsted_safeguarding is OfstedSafeguarding.MET
    assert provider.ofsted_judgement is None
    page = unescape(staff.get(f"/providers/{provider.id}").data.decode())
    assert "2 Dec 2025</time>, report card" in page
    card = page.split("data-ofsted-report-card>")[1].split("</dl>")[0]
    for _, area in OFSTED_AREAS:
        assert area in card
    assert "Needs attention" in card and "Exceptional" in card
    assert "Safeguarding" in card and ">Met<" in card
    assert 'href="https://reports.ofsted.gov.uk/provider/27/2500999"' in page


def test_a_single_judgement_is_shown_as_before(staff):
    response = staff.post(
        "/providers/new",
        data=provider_form(ofsted_inspection_date=["3", "3", "2024"], ofsted_judgement="good"),
    )
    assert response.status_code == 302
    provider = stored()
    assert provider.ofsted_inspection_kind is OfstedInspectionKind.JUDGEMENT
    page = staff.get(f"/providers/{provider.id}").data.decode()
    assert "3 Mar 2024</time>, Good" in page
    assert "data-ofsted-report-card" not in page


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"ofsted_achievement": ""}, "ofsted_achievement", "grade for achievement"),
        ({"ofsted_safeguarding": ""}, "ofsted_safeguarding", "Say whether safeguarding was met"),
        ({"ofsted_inspection_date": ["", "", ""]}, "ofsted_inspection_date", "Enter the date"),
        (
            {"ofsted_inspection_date": ["1", "9", "2025"]},
            "ofsted_inspection_date",
            "Report cards began on 10 November 2025",
        ),
        ({"ofsted_inclusion": "good"}, "ofsted_inclusion", "Not a valid choice"),
        ({"ofsted_safeguarding": "maybe"}, "ofsted_safeguarding", "Not a valid choice"),
        ({"ofsted_inspection_kind": "rumour"}, "ofsted_inspection_kind", "Not a valid choice"),
    ],
)
def test_an_incomplete_report_card_is_refused_next_to_its_field(staff, overrides, field, message):
    response = staff.post("/providers/new", data=report_card_form(**overrides))
    assert response.status_code == 200
    page = unescape(response.data.decode())
    assert message in page
    assert f'href="#{field}' in page  # the error summary leads to the field
    assert stored() is None


def test_a_later_single_judgement_clears_the_report_card_and_back(staff):
    staff.post("/providers/new", data=report_card_form())
    provider = stored()
    staff.post(
        f"/providers/{provider.id}/edit",
        data=report_card_form(
            ofsted_inspection_kind="judgement",
            ofsted_judgement="requires_improvement",
            ofsted_inspection_date=["1", "10", "2025"],
        ),
    )
    db.session.refresh(provider)
    assert provider.ofsted_judgement is OfstedJudgement.REQUIRES_IMPROVEMENT
    assert provider.ofsted_inclusion is None and provider.ofsted_safeguarding is None
    staff.post(f"/providers/{provider.id}/edit", data=report_card_form(ofsted_judgement="good"))
    db.session.refresh(provider)
    assert provider.ofsted_inspection_kind is OfstedInspectionKind.REPORT_CARD
    assert provider.ofsted_judgement is None
    assert provider.ofsted_inclusion is OfstedGrade.STRONG_STANDARD


def test_the_edit_form_shows_the_recorded_report_card(staff):
    staff.post("/providers/new", data=report_card_form())
    page = staff.get(f"/providers/{stored().id}/edit").data.decode()
    assert 'value="report_card" checked>' in page
    assert '<option value="needs_attention" selected' in page


def inspected(name: str, **fields) -> Provider:
    provider = factories.provider(name)
    for key, value in fields.items():
        setattr(provider, key, value)
    return provider


def test_the_register_filters_by_either_kind_of_inspection(login):
    card = {column: OfstedGrade.EXPECTED_STANDARD for column, _ in OFSTED_AREAS}
    rc = OfstedInspectionKind.REPORT_CARD
    inspected("Ofsted Fine Card", ofsted_inspection_kind=rc, ofsted_safeguarding="met", **card)
    inspected(
        "Ofsted Urgent Card",
        ofsted_inspection_kind=rc,
        ofsted_safeguarding="met",
        **{**card, "ofsted_leadership_governance": OfstedGrade.URGENT_IMPROVEMENT},
    )
    inspected(
        "Ofsted Unsafe Card", ofsted_inspection_kind=rc, ofsted_safeguarding="not_met", **card
    )
    judged = OfstedInspectionKind.JUDGEMENT
    inspected("Ofsted Good Judgement", ofsted_inspection_kind=judged, ofsted_judgement="good")
    inspected(
        "Ofsted Inadequate Judgement", ofsted_inspection_kind=judged, ofsted_judgement="inadequate"
    )
    inspected("Ofsted Never Inspected")
    db.session.commit()
    client = login(factories.user("head"))

    def listed(choice: str) -> set[str]:
        page = client.get(f"/providers?q=ofsted&ofsted={choice}")
        assert page.status_code == 200
        return {line.split("<")[0] for line in page.data.decode().split('">Ofsted ')[1:]}

    assert listed("report_card_concern") == {"Urgent Card", "Unsafe Card"}
    assert listed("report_card") == {"Fine Card", "Urgent Card", "Unsafe Card"}
    assert listed("judgement_concern") == {"Inadequate Judgement"}
    assert listed("judgement") == {"Good Judgement", "Inadequate Judgement"}
    assert len(listed("")) == 6
