"""Admins create, edit, disable and re-enable users; every change is audited."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from qa_portal.accounts.models import Role, User
from qa_portal.audit import AuditEvent
from qa_portal.db import db
from tests import factories


@pytest.fixture
def admin(login):
    user = factories.user("admin")
    db.session.commit()
    return user, login(user)


def user_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def form(**overrides):
    data = {
        "name": "Sam Staff",
        "email": "sam@example.org",
        "role": "staff",
        "partnership_id": str(factories.partnership("SLIP").id),
        "school_id": "",
        "provider_id": "",
        "job_title": "",
    }
    data.update(overrides)
    return data


def test_admin_creates_a_user_with_the_affiliation_the_role_needs(admin):
    _, client = admin
    response = client.post("/admin/users/new", data=form(school_id=str(factories.school().id)))
    assert response.status_code == 302
    user = db.session.scalars(select(User).where(User.email == "sam@example.org")).one()
    assert user.role is Role.STAFF
    assert user.partnership_id == factories.partnership("SLIP").id
    assert user.school_id is None  # a staff member belongs to a partnership, not a school
    assert user.password_hash is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"partnership_id": ""}, b"Choose the partnership"),
        ({"role": "head", "partnership_id": ""}, b"Choose the school"),
        ({"role": "provider", "partnership_id": ""}, b"Choose the provider"),
        ({"email": "not-an-email"}, b"Enter an email address in the correct format"),
        ({"name": ""}, b"Enter the person&#39;s full name"),
        ({"role": "wizard"}, b"Not a valid choice"),
    ],
)
def test_bad_user_details_are_refused_and_nothing_is_stored(admin, overrides, message):
    _, client = admin
    before = user_count()
    response = client.post("/admin/users/new", data=form(**overrides))
    assert response.status_code == 200
    assert message in response.data
    assert b"There is a problem" in response.data
    assert user_count() == before


def test_duplicate_email_is_refused_whatever_its_case(admin):
    _, client = admin
    existing = factories.user("officer")
    db.session.commit()
    before = user_count()
    response = client.post("/admin/users/new", data=form(email=existing.email.upper()))
    assert b"A user with this email address already exists" in response.data
    assert user_count() == before


def test_editing_a_user_records_what_changed(admin):
    actor, client = admin
    user = factories.user("staff")
    db.session.commit()
    response = client.post(
        f"/admin/users/{user.id}/edit",
        data=form(
            email=user.email,
            name="Renamed Person",
            partnership_id=str(factories.partnership("LIP").id),
        ),
    )
    assert response.status_code == 302
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user_changed")).one()
    assert event.actor_id == actor.id
    assert event.details["name"][1] == "Renamed Person"
    assert "partnership_id" in event.details


def test_changing_a_users_scope_signs_them_out(admin, login):
    _, client = admin
    user = factories.user("staff")
    db.session.commit()
    their_phone = login(user)
    client.post(
        f"/admin/users/{user.id}/edit",
        data=form(
            email=user.email, name=user.name, partnership_id=str(factories.partnership("LIP").id)
        ),
    )
    assert their_phone.get("/account").status_code == 302


def test_disabling_a_user_ends_their_sessions(admin, login):
    _, client = admin
    user = factories.user("head")
    db.session.commit()
    their_phone = login(user)
    assert their_phone.get("/account").status_code == 200
    client.post(f"/admin/users/{user.id}/disable")
    assert their_phone.get("/account").status_code == 302
    db.session.refresh(user)
    assert user.disabled_at is not None
    client.post(f"/admin/users/{user.id}/enable")
    db.session.refresh(user)
    assert user.disabled_at is None


def test_admin_cannot_disable_themselves(admin):
    actor, client = admin
    response = client.post(f"/admin/users/{actor.id}/disable", follow_redirects=True)
    assert b"You cannot disable your own account" in response.data
    db.session.refresh(actor)
    assert actor.disabled_at is None


def test_users_list_filters_by_role_and_status(admin):
    _, client = admin
    invited = factories.user("head", password=None, name="Ivy Invited")
    active = factories.user("officer", name="Olive Officer")
    db.session.commit()
    page = client.get("/admin/users?status=invited").data
    assert invited.name.encode() in page and active.name.encode() not in page
    page = client.get("/admin/users?role=officer").data
    assert active.name.encode() in page and invited.name.encode() not in page
    page = client.get("/admin/users?q=ivy").data
    assert invited.name.encode() in page and active.name.encode() not in page


def test_admin_home_lists_unaccepted_invitations(admin):
    _, client = admin
    factories.user("head", password=None)
    db.session.commit()
    page = client.get("/").data.decode()
    assert "user whose invitation expired before they set a password" in page
