"""The demo data command and the other flask commands."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from qa_portal import create_app, demo
from qa_portal.accounts.models import WITH_AFFILIATION, Role, User
from qa_portal.db import db
from qa_portal.visits.models import Visit, VisitStatus
from tests import factories
from tests.conftest import TEST_CONFIG, reset_schema, run_cli


@pytest.fixture
def empty_app(tmp_path):
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/d.db"})
    reset_schema(app)
    return app


def test_seed_demo_creates_the_documented_logins(empty_app):
    result = run_cli(empty_app, ["seed-demo"])
    assert result.exit_code == 0, result.output
    for email in (
        "admin@example.org",
        "officer@example.org",
        "staff.hbep@example.org",
        "staff.lip@example.org",
        "staff.mscip@example.org",
        "staff.nwllip@example.org",
        "staff.slip@example.org",
        "head@example.org",
        "provider@example.org",
    ):
        assert email in result.output
    assert demo.DEMO_PASSWORD in result.output
    with empty_app.app_context():
        people = select(User).options(*WITH_AFFILIATION)
        head = db.session.scalars(people.where(User.email == "head@example.org")).one()
        assert head.role is Role.HEAD and head.school.partnership.code == "HBEP"
        assert db.session.scalars(people.where(User.email == "provider@example.org")).one().provider


def test_seed_demo_twice_keeps_what_was_entered(empty_app):
    run_cli(empty_app, ["seed-demo"])
    with empty_app.app_context():
        db.session.add(User(email="added@example.org", name="Added Later", role=Role.OFFICER))
        db.session.commit()
    result = run_cli(empty_app, ["seed-demo"])
    assert result.exit_code == 0
    assert "already present" in result.output
    with empty_app.app_context():
        assert db.session.scalars(select(User).where(User.email == "added@example.org")).one()


def test_seed_demo_refuses_a_database_with_real_data(empty_app):
    with empty_app.app_context():
        db.session.add(User(email="real.person@council.example", name="Real", role=Role.ADMIN))
        db.session.commit()
    result = run_cli(empty_app, ["seed-demo"])
    assert result.exit_code != 0
    assert "did not create" in result.output
    with empty_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_create_admin_command(empty_app):
    result = run_cli(
        empty_app,
        ["create-admin", "--email", "First@Example.org", "--name", "First Admin"],
        input="a-long-admin-passphrase\na-long-admin-passphrase\n",
    )
    assert result.exit_code == 0, result.output
    with empty_app.app_context():
        assert db.session.scalars(select(User).where(User.email == "first@example.org")).one()


def test_send_email_command_delivers_queued_mail(app):
    from qa_portal import outbox

    message = outbox.queue("someone@example.org", "Hello", "Body")
    db.session.commit()
    result = run_cli(app, ["send-email"])
    assert "Sent 1 email(s)" in result.output
    db.session.refresh(message)
    assert message.sent_at is not None


def test_demo_data_is_synthetic():
    # Every demo person uses the reserved example.org domain.
    demo_emails = [email for email, _ in demo.demo_logins()]
    assert all(email.endswith("@example.org") for email in demo_emails)
    assert factories.PASSWORD != demo.DEMO_PASSWORD


def test_demo_register_is_realistic(empty_app):
    from qa_portal import clock
    from qa_portal.providers.compliance import State, compliance_for
    from qa_portal.providers.models import Provider

    run_cli(empty_app, ["seed-demo"])
    with empty_app.app_context():
        providers = db.session.scalars(
            select(Provider).options(selectinload(Provider.vocational_areas))
        ).all()
        assert 15 <= len(providers) <= 25
        areas = {a.name for p in providers for a in p.vocational_areas}
        assert {
            "Motor vehicle",
            "Construction",
            "Hair and beauty",
            "Animal care",
            "Boxing and sport",
            "Catering",
            "Small-group tuition",
        } <= areas
        states = {a.state for a in compliance_for(providers, clock.today()).values()}
        assert states == {State.COMPLIANT, State.DUE_SOON, State.NON_COMPLIANT}
        assert all(p.status_history for p in providers)
        demo_provider = (
            db.session.scalars(
                select(User)
                .where(User.email == "provider@example.org")
                .options(joinedload(User.provider))
            )
            .one()
            .provider
        )
        assert compliance_for([demo_provider], clock.today())[demo_provider.id].state is (
            State.NON_COMPLIANT
        )
        from qa_portal.concerns.models import Concern

        concerns = db.session.scalars(select(Concern).order_by(Concern.id)).all()
        assert [c.is_open for c in concerns] == [True, False]
        assert concerns[0].raised_by.email == "head@example.org"
        assert concerns[0].partnership.code == "HBEP"


def test_the_demo_published_visit_has_its_report_for_the_lead_and_the_provider(tmp_path):
    app = create_app(
        {
            **TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/d.db",
            "STORAGE_LOCAL_ROOT": str(tmp_path / "uploads"),
        }
    )
    reset_schema(app)
    assert run_cli(app, ["seed-demo"]).exit_code == 0
    with app.app_context():
        published = db.session.scalars(
            select(Visit).where(Visit.status == VisitStatus.PUBLISHED)
        ).one()
        assert published.report_key
        path = f"/visits/{published.id}"
    for email in ("staff.hbep@example.org", "provider@example.org"):
        client = app.test_client()
        signed_in = client.post("/sign-in", data={"email": email, "password": demo.DEMO_PASSWORD})
        assert signed_in.status_code == 302, email
        page = client.get(path).data.decode()
        assert "Download the report" in page, email
        report = client.get(f"{path}/report.pdf")
        assert report.status_code == 200, email
        assert report.mimetype == "application/pdf"
        assert report.data.startswith(b"%PDF")


def test_the_demo_cohort_is_shaped_like_the_partnerships_caseloads(empty_app):
    from qa_portal import clock
    from qa_portal.pupils.models import Pupil, academic_year

    run_cli(empty_app, ["seed-demo"])
    with empty_app.app_context():
        pupils = db.session.scalars(select(Pupil)).all()
        assert 140 <= len(pupils) <= 160
        year = academic_year(clock.today())
        by_partnership: dict[str, list[int]] = {}
        for pupil in pupils:
            by_partnership.setdefault(pupil.partnership.code, []).append(pupil.year_group(year))
        # Key stage 4 outnumbers key stage 3 in every partnership; LIP has the most pupils.
        for code, groups in by_partnership.items():
            assert sum(g >= 10 for g in groups) > sum(g <= 9 for g in groups), code
            assert set(groups) <= {7, 8, 9, 10, 11}, code
        assert max(by_partnership, key=lambda c: len(by_partnership[c])) == "LIP"
        assert 5 <= sum(p.ehcp for p in pupils) <= 20
        assert sum(p.looked_after for p in pupils) >= 10
        assert sum(p.pupil_premium for p in pupils) > len(pupils) / 2
        # Every key worker is staff of the pupil's own partnership.
        assert all(
            p.key_worker.partnership_id == p.school.partnership_id for p in pupils if p.key_worker
        )
        assert any(p.cohort_override is not None for p in pupils)
        assert any(p.upn[-1].isalpha() for p in pupils)  # some temporary UPNs
        head = db.session.scalars(select(User).where(User.email == "head@example.org")).one()
        assert any(p.school_id == head.school_id for p in pupils)


def test_the_demo_has_one_provider_the_registration_guard_flags(empty_app):
    from qa_portal import clock
    from qa_portal.providers.models import Provider
    from qa_portal.registration import services as registration

    run_cli(empty_app, ["seed-demo"])
    with empty_app.app_context():
        flags = registration.flags_for(select(Provider.id), clock.today())
        [(provider_id, flag)] = flags.items()
        provider = db.session.get(Provider, provider_id)
        assert provider.name == "Market Bosworth Farm School" and not provider.ofsted_registered
        assert flag.full_time >= 5
