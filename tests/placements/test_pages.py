"""The placement pages: adding one from the pupil's page (with the provider's warning and the
reason), its page, the agreement as a PDF, a review, the ending, the list and its filters."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from qa_portal.audit import AuditEvent
from qa_portal.db import db
from qa_portal.placements.models import Placement
from qa_portal.providers.models import ProviderStatus
from tests import factories


def _date(name: str, day: date) -> dict:
    return {name: [str(day.day), str(day.month), str(day.year)]}


def form_data(provider, start: date, **extra) -> dict:
    data = {
        "provider_id": str(provider.id),
        "contract_id": "0",
        **_date("start_date", start),
        "days_per_week": "2",
        "sessions_per_week": "4",
        "hours_per_week": "11.5",
        "cost": "1,250.00",
        "transport": "taxi",
        "intervention": "Motor vehicle skills",
        "objectives": "Gain the Level 1 motor vehicle award and re-engage with maths",
        "reintegration_plan": "Back to school one day a week from February",
        "reporting": "Attendance weekly by email; a termly return on the portal",
        "target_1_area": "attendance",
        "target_1_description": "Attend 90% of sessions",
        "target_1_baseline": "64% at school last term",
        "target_2_area": "maths",
        "target_2_description": "Entry level 3 functional maths",
        **_date("review_date_1", start + timedelta(days=40)),
    }
    for key, value in extra.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


@pytest.fixture
def scene():
    staff = factories.user("staff")
    provider = factories.compliant_provider("Pit Stop Motor Project")
    provider.partnerships.append(factories.partnership("HBEP"))
    pupil = factories.pupil(factories.school("HBEP"), key_worker=staff)
    db.session.commit()
    return staff, provider, pupil


def test_staff_add_a_placement_from_the_pupils_page(login, scene):
    staff, provider, pupil = scene
    client = login(staff)
    page = client.get(f"/pupils/{pupil.id}").get_data(as_text=True)
    assert f"/pupils/{pupil.id}/placements/new" in page
    assert client.get(f"/pupils/{pupil.id}/placements/new").status_code == 200
    start = date.today()
    response = client.post(f"/pupils/{pupil.id}/placements/new", data=form_data(provider, start))
    assert response.status_code == 302, response.get_data(as_text=True)
    placement = db.session.scalars(select(Placement)).one()
    assert [t.description for t in placement.targets] == [
        "Attend 90% of sessions",
        "Entry level 3 functional maths",
    ]
    assert str(placement.cost) == "1250.00" and str(placement.hours_per_week) == "11.5"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Gain the Level 1 motor vehicle award" in page and "64% at school last term" in page
    timeline = client.get(f"/pupils/{pupil.id}").get_data(as_text=True)
    assert 'data-event="Placement started"' in timeline


def test_a_suspended_provider_is_warned_of_and_needs_a_reason(login, scene):
    staff, provider, pupil = scene
    provider.status = ProviderStatus.SUSPENDED
    db.session.commit()
    client = login(staff)
    url = f"/pupils/{pupil.id}/placements/new"
    response = client.post(url, data=form_data(provider, date.today()))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "is suspended" in page
    assert 'name="provider_reason"' in page and "data-provider-warning" in page
    assert db.session.scalars(select(Placement)).first() is None
    reason = "The only provider with a motor vehicle place"
    response = client.post(url, data=form_data(provider, date.today(), provider_reason=reason))
    assert response.status_code == 302
    assert db.session.scalars(select(Placement.provider_reason)).one() == reason


def test_a_provider_or_contract_out_of_scope_is_refused_next_to_its_field(login, scene):
    staff, provider, pupil = scene
    unused = factories.compliant_provider()  # not used by HBEP
    lip_contract = factories.contract(provider, "LIP")
    db.session.commit()
    client = login(staff)
    url = f"/pupils/{pupil.id}/placements/new"
    page = client.post(url, data=form_data(unused, date.today())).get_data(as_text=True)
    assert "Choose one of the providers listed" in page
    page = client.post(
        url, data=form_data(provider, date.today(), contract_id=str(lip_contract.id))
    ).get_data(as_text=True)
    assert "Choose one of the contracts listed" in page
    assert db.session.scalars(select(Placement)).first() is None


def test_another_partnerships_pupil_is_not_found(login, scene):
    staff, provider, _ = scene
    lip_pupil = factories.pupil(factories.school("LIP"))
    db.session.commit()
    client = login(staff)
    url = f"/pupils/{lip_pupil.id}/placements/new"
    assert client.get(url).status_code == 404
    assert client.post(url, data=form_data(provider, date.today())).status_code == 404


def test_a_rule_broken_is_shown_next_to_its_field(login, scene):
    staff, provider, pupil = scene
    client = login(staff)
    data = form_data(provider, date.today(), hours_per_week="25")
    page = client.post(f"/pupils/{pupil.id}/placements/new", data=data).get_data(as_text=True)
    assert "full-time education" in page and 'id="hours_per_week-error"' in page


def test_edit_review_pdf_and_end(login, scene):
    staff, provider, pupil = scene
    placement = factories.placement(pupil, provider, start=date.today() - timedelta(days=30))
    db.session.commit()
    client = login(staff)
    edit = client.get(f"/placements/{placement.id}/edit").get_data(as_text=True)
    assert "Attend 90% of sessions" in edit
    data = form_data(provider, placement.start_date, objectives="Sit the CSCS test")
    data.update(_date("review_date_1", placement.start_date + timedelta(days=42)))
    response = client.post(f"/placements/{placement.id}/edit", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(placement)
    assert placement.objectives == "Sit the CSCS test" and len(placement.targets) == 2

    pdf = client.get(f"/placements/{placement.id}/agreement.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Sit the CSCS test" in text and pupil.name in text

    review = {
        **_date("held_on", date.today()),
        "attended": "Pupil, parent, key worker, provider",
        "progress_1": "on_track",
        "progress_2": "some",
        "comment_2": "Working on fractions",
        "decisions": "Continue",
        **_date("next_review_on", date.today() + timedelta(days=35)),
    }
    assert client.post(f"/placements/{placement.id}/reviews/new", data=review).status_code == 302
    page = client.get(f"/placements/{placement.id}").get_data(as_text=True)
    assert "Working on fractions" in page

    end = {
        **_date("finish_date", date.today()),
        "destination": "returned",
        "end_reason": "Reintegration complete",
        "outcome_1": "Attended 93%",
        "outcome_2": "Passed entry level 3",
    }
    assert client.post(f"/placements/{placement.id}/end", data=end).status_code == 302
    page = client.get(f"/placements/{placement.id}").get_data(as_text=True)
    assert "Outcome: Passed entry level 3" in page and "Returned to school" in page
    # Ended: no more changes.
    assert client.get(f"/placements/{placement.id}/edit").status_code == 403
    timeline = client.get(f"/pupils/{pupil.id}").get_data(as_text=True)
    for kind in ("Placement started", "Placement reviewed", "Placement ended"):
        assert f'data-event="{kind}"' in timeline


def test_the_end_form_refuses_a_finish_before_the_start(login, scene):
    staff, provider, pupil = scene
    placement = factories.placement(pupil, provider, start=date.today() - timedelta(days=10))
    db.session.commit()
    client = login(staff)
    end = {
        **_date("finish_date", date.today() - timedelta(days=11)),
        "destination": "returned",
        "end_reason": "Done",
        "outcome_1": "Fine",
    }
    page = client.post(f"/placements/{placement.id}/end", data=end).get_data(as_text=True)
    assert 'id="finish_date-error"' in page
    db.session.refresh(placement)
    assert placement.finish_date is None


def test_every_view_and_download_is_audited_naming_the_pupil(login, scene):
    staff, provider, pupil = scene
    placement = factories.placement(pupil, provider)
    db.session.commit()
    client = login(staff)
    client.get(f"/placements/{placement.id}")
    client.get(f"/placements/{placement.id}/agreement.pdf")
    events = db.session.execute(
        select(AuditEvent.action, AuditEvent.pupil_id).where(AuditEvent.target_type == "Placement")
    ).all()
    assert sorted(events) == [
        ("placement_agreement_downloaded", pupil.id),
        ("placement_viewed", pupil.id),
    ]


def test_the_list_filters_by_status_reviews_provider_and_name(login, scene):
    staff, provider, pupil = scene
    today = date.today()
    current = factories.placement(pupil, provider, start=today - timedelta(days=30))
    overdue = factories.placement(
        factories.pupil(first_names="Olive"), provider, review_dates=[today - timedelta(days=3)]
    )
    ended = factories.placement(
        factories.pupil(first_names="Edith"),
        factories.compliant_provider(),
        start=today - timedelta(days=90),
        finish_date=today - timedelta(days=5),
        destination="returned",
        review_dates=[],
    )
    starting = factories.placement(
        factories.pupil(first_names="Stan"), provider, start=today + timedelta(days=7)
    )
    due = factories.placement(
        factories.pupil(first_names="Dora"),
        provider,
        start=today - timedelta(days=40),
        review_dates=[today + timedelta(days=3)],
    )
    db.session.commit()
    client = login(staff)

    def listed(query: str) -> set[int]:
        page = client.get(f"/placements?{query}").get_data(as_text=True)
        everyone = (current, overdue, ended, starting, due)
        return {p.id for p in everyone if f'data-placement="{p.id}"' in page}

    assert listed("") == {current.id, overdue.id, ended.id, starting.id, due.id}
    assert listed("status=ended") == {ended.id}
    assert listed("status=starting") == {starting.id}
    assert listed("status=current") == {current.id, overdue.id, due.id}
    assert listed("reviews=overdue") == {overdue.id}
    assert listed("reviews=due") == {due.id}
    assert listed(f"provider={provider.id}") == {current.id, overdue.id, starting.id, due.id}
    assert listed("q=olive") == {overdue.id}
    assert listed(f"key_worker={staff.id}") == {current.id}
    assert client.get("/placements?status=purple").status_code == 400


def test_the_provider_page_counts_current_placements(login, scene):
    staff, provider, pupil = scene
    factories.placement(pupil, provider)
    factories.placement(factories.pupil(), provider, start=date.today() + timedelta(days=3))
    db.session.commit()
    page = login(staff).get(f"/providers/{provider.id}").get_data(as_text=True)
    assert 'data-current-placements="1"' in page
    listed = login(staff).get(f"/placements?provider={provider.id}&status=current")
    assert f"Placements with {provider.name}" in listed.get_data(as_text=True)
    head_page = login(factories.user("head")).get(f"/providers/{provider.id}")
    assert "data-current-placements" not in head_page.get_data(as_text=True)


def test_the_key_workers_home_page_counts_reviews_due_and_overdue(login, scene):
    staff, provider, pupil = scene
    today = date.today()
    factories.placement(pupil, provider, review_dates=[today - timedelta(days=2)])
    for n in range(2):
        factories.placement(
            factories.pupil(key_worker=staff), provider, review_dates=[today + timedelta(days=n)]
        )
    # Not theirs: another key worker's pupil.
    factories.placement(factories.pupil(), provider, review_dates=[today - timedelta(days=1)])
    db.session.commit()
    page = login(staff).get("/").get_data(as_text=True)
    assert '<span class="portal-needs__count">1</span>placement with a review overdue' in page
    assert '<span class="portal-needs__count">2</span>placements with a review due' in page
    assert f"/placements?reviews=overdue&amp;key_worker={staff.id}" in page


def test_a_long_placements_edit_form_keeps_every_planned_review(login, scene):
    staff, provider, pupil = scene
    start = date.today() - timedelta(days=400)
    planned = [start + timedelta(days=40 * n) for n in range(1, 11)]
    placement = factories.placement(pupil, provider, start=start, review_dates=planned)
    db.session.commit()
    client = login(staff)
    page = client.get(f"/placements/{placement.id}/edit").get_data(as_text=True)
    assert 'id="review_date_12-day"' in page and 'id="review_date_13-day"' not in page
    data = form_data(provider, start)
    for n, day in enumerate(planned, start=1):
        data.update(_date(f"review_date_{n}", day))
    response = client.post(f"/placements/{placement.id}/edit", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(placement)
    assert [d.due_on for d in placement.review_dates] == planned
