"""A password link belongs to the address it was sent to: once an administrator changes the
account's email, links already sent to the old address no longer set its password."""

from __future__ import annotations

from qa_portal.accounts import services
from qa_portal.db import db
from tests import factories

NEW_PASSWORD = "three-random-words-here"


def change_email(admin, user, email: str) -> None:
    services.update_user(
        admin,
        user,
        email=email,
        name=user.name,
        role=user.role,
        job_title=user.job_title,
        partnership_id=user.partnership_id,
        school_id=user.school_id,
    )
    db.session.commit()


def test_a_reset_link_sent_to_the_old_address_stops_working(client, mailbox):
    admin = factories.user("admin")
    user = factories.user("staff", email="mistyped@example.org")
    db.session.commit()
    client.post("/account/forgot-password", data={"email": "mistyped@example.org"})
    link = mailbox.link_to("mistyped@example.org")
    old_hash = user.password_hash
    change_email(admin, user, "right@example.org")

    assert b"This link has expired" in client.get(link).data
    client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    db.session.refresh(user)
    assert user.password_hash == old_hash, "the password is unchanged"


def test_an_invitation_sent_to_the_old_address_stops_working(login, mailbox, client):
    admin = factories.user("admin")
    user = factories.user("head", email="wrong-person@example.org", password=None)
    db.session.commit()
    response = login(admin).post(f"/admin/users/{user.id}/invite")
    assert response.status_code == 302
    link = mailbox.link_to("wrong-person@example.org")
    change_email(admin, user, "head@example.org")

    assert b"This link has expired" in client.get(link).data
