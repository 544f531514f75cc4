"""A placement made on a phone: from the pupil's page the co-ordinator records the placement
with its agreement and targets, records a review, downloads the agreement (which names the
objectives) and ends the placement with each target's outcome."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader
from sqlalchemy import select

from qa_portal.db import db
from qa_portal.partnerships.models import Partnership, School
from qa_portal.placements.models import Placement
from qa_portal.pupils.models import Pupil
from tests.browser.conftest import PHONE
from tests.browser.helpers import page_width, sign_in

pytestmark = pytest.mark.browser

PROVIDER = "Fosse Mentoring Partnership"
OBJECTIVES = "Rebuild trust with adults and sit the entry level 3 maths test by Easter"


def _unplaced_hbep_pupil(app) -> tuple[int, str]:
    with app.app_context():
        placed = select(Placement.pupil_id)
        pupil = db.session.scalars(
            select(Pupil)
            .join(School)
            .join(Partnership)
            .where(Partnership.code == "HBEP", Pupil.id.not_in(placed))
            .order_by(Pupil.id)
        ).first()
        return pupil.id, pupil.name


def _date(page: Page, name: str, day: date) -> None:
    page.locator(f"#{name}-day").fill(str(day.day))
    page.locator(f"#{name}-month").fill(str(day.month))
    page.locator(f"#{name}-year").fill(str(day.year))


def test_staff_place_a_pupil_review_download_the_agreement_and_end(page: Page, live_app):
    pupil_id, name = _unplaced_hbep_pupil(live_app)
    today = date.today()
    sign_in(page, "staff.hbep@example.org")
    page.goto(f"/pupils/{pupil_id}")
    page.get_by_role("link", name=re.compile("Add a placement")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a placement")
    assert page_width(page) <= PHONE["viewport"]["width"]

    page.get_by_label("Provider", exact=True).select_option(label=PROVIDER)
    _date(page, "start_date", today - timedelta(days=20))
    page.get_by_label("Days per week").fill("2")
    page.get_by_label("Sessions per week").fill("4")
    page.get_by_label("Hours per week").fill("9")
    page.get_by_label("Taxi arranged by the school or partnership").check()
    page.get_by_label("Intervention").fill("One-to-one mentoring and small-group maths")
    page.get_by_label("Objectives").fill(OBJECTIVES)
    page.get_by_label("Reintegration plan and timeline").fill("Back to school full time by June")
    page.get_by_label("How and how often the provider reports").fill("Weekly email; termly return")
    page.get_by_label("Target 1", exact=True).fill("Attend every mentoring session")
    page.get_by_label("Target 1: baseline").fill("Attended 2 of 5 sessions at school")
    page.locator("#target_2_area").select_option("maths")
    page.get_by_label("Target 2", exact=True).fill("Entry level 3 maths")
    _date(page, "review_date_1", today + timedelta(days=10))
    page.get_by_role("button", name="Save placement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{name} at {PROVIDER}")
    expect(page.locator("[data-agreement]")).to_contain_text(OBJECTIVES)

    page.get_by_role("link", name="Record a review").click()
    _date(page, "held_on", today)
    page.get_by_label("Who attended").fill("Pupil, mum, key worker, mentor")
    page.locator("[data-target='1']").get_by_label("On track").check()
    page.locator("[data-target='2']").get_by_label("Some progress").check()
    page.locator("#comment_2").fill("Fractions secure; working on ratio")
    _date(page, "next_review_on", today + timedelta(days=35))
    page.get_by_role("button", name="Record the review").click()
    expect(page.locator("[data-reviews]")).to_contain_text("Fractions secure; working on ratio")

    with page.expect_download() as download:
        page.locator("[data-agreement-pdf]").click()
    pdf = PdfReader(download.value.path())
    text = "".join(p.extract_text() for p in pdf.pages)
    assert name in text
    assert " ".join(OBJECTIVES.split()) in " ".join(text.split())

    page.get_by_role("link", name="End the placement").click()
    _date(page, "finish_date", today)
    page.get_by_label("Returned to school").check()
    page.get_by_label("Why the placement ended").fill("Ready to return full time")
    page.get_by_label("Outcome of target 1").fill("Attended 19 of 20 sessions")
    page.get_by_label("Outcome of target 2").fill("Passed entry level 3 maths")
    page.get_by_role("button", name="End the placement").click()
    expect(page.locator("[data-ending]")).to_contain_text("Returned to school")
    expect(page.locator("[data-targets]")).to_contain_text("Outcome: Passed entry level 3 maths")
    assert page_width(page) <= PHONE["viewport"]["width"]
