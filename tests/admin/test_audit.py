"""The audit log records sign-ins and changes, and admins can filter it."""

from __future__ import annotations

import re
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


def test_every_action_the_code_records_can_be_chosen_in_the_filter():
    """The filter's actions are a list in the code, not read from the table: each action
    recorded anywhere must be on it."""
    from pathlib import Path

    from qa_portal import audit

    source = Path(audit.__file__).resolve().parent
    recorded = set()
    for path in source.rglob("*.py"):
        recorded |= set(re.findall(r'record\(\s*"([a-z_]+)"', path.read_text()))
    assert recorded, "no audit.record calls found"
    assert recorded - set(audit.ACTIONS) == set()
    assert len(set(audit.ACTIONS)) == len(audit.ACTIONS)


def test_audit_log_filters_by_record_and_pages_with_the_filter_kept(login):
    admin = factories.user("admin")
    for n in range(55):
        db.session.add(
            AuditEvent(
                action="school_changed", target_type="School", target_id="7", summary=f"Change {n}"
            )
        )
    db.session.add(
        AuditEvent(
            action="school_changed", target_type="School", target_id="8", summary="Another school"
        )
    )
    db.session.commit()
    client = login(admin)
    first = client.get("/admin/audit?target_type=School&target_id=7").data.decode()
    assert "Another school" not in first
    assert first.count("Change ") == 50
    assert 'rel="next"' in first and 'rel="prev"' not in first
    link = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    assert "target_id=7" in link and "target_type=School" in link and "page=2" in link
    second = client.get(link).data.decode()
    assert second.count("Change ") == 5 and 'rel="next"' not in second
    assert "Change 0" in second  # the oldest last
    bad = client.get("/admin/audit?target_type=School&target_id=abc")
    assert bad.status_code == 200 and b"Not a valid integer value" in bad.data


def test_an_action_not_in_the_code_is_refused_next_to_the_filter(login):
    page = login(factories.user("admin")).get("/admin/audit?action=drop_tables")
    assert page.status_code == 200
    assert b"Not a valid choice" in page.data
