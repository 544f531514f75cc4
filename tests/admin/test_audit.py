"""The audit log records sign-ins and changes, and admins can filter it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from qa_portal.audit import AuditEvent
from qa_portal.db import db, utcnow
from tests import factories


def test_sign_in_and_sign_out_are_audited(login):
    user = factories.user("officer")
    db.session.commit()
    client = login(user)
    client.post("/sign-out")
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.actor_id == user.id).order_by(AuditEvent.id)
    ).all()
    assert actions == ["sign_in", "sign_out"]


def test_admin_filters_the_audit_log(login, app):
    admin = factories.user("admin")
    db.session.commit()
    client = login(admin)
    app.test_client().post(
        "/sign-in", data={"email": "intruder@example.org", "password": "guess-guess"}
    )
    page = client.get("/admin/audit?action=sign_in_failed").data.decode()
    assert "intruder@example.org" in page
    assert admin.email not in page
    page = client.get(f"/admin/audit?actor={admin.email}").data.decode()
    assert "intruder@example.org" not in page
    assert "Signed in" in page


def test_audit_log_filters_by_date(login):
    admin = factories.user("admin")
    old = AuditEvent(
        action="school_changed", summary="An old change", created_at=utcnow() - timedelta(days=40)
    )
    db.session.add(old)
    db.session.commit()
    client = login(admin)
    since = (utcnow() - timedelta(days=7)).date().isoformat()
    assert b"An old change" not in client.get(f"/admin/audit?date_from={since}").data
    until = (utcnow() - timedelta(days=30)).date().isoformat()
    page = client.get(f"/admin/audit?date_to={until}").data
    assert b"An old change" in page
    assert b"Signed in" not in page


def test_bad_date_filter_is_named_not_a_crash(login):
    client = login(factories.user("admin"))
    response = client.get("/admin/audit?date_from=31-02-2026")
    assert response.status_code == 200
    assert b"Not a valid date value" in response.data
