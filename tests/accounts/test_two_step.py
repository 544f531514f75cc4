"""Two-step verification: set-up, codes at sign-in, recovery codes, turning it off, who must."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from urllib.parse import urlencode

import pyotp
import pytest
from sqlalchemy import func, select

from qa_portal import config, policy
from qa_portal.accounts import mfa, services
from qa_portal.accounts.models import (
    RecoveryCode,
    SignInFailure,
    TwoStepCredential,
    UserSession,
)
from qa_portal.audit import AuditEvent
from qa_portal.db import db, utcnow
from tests import factories
from tests.accounts.test_throttling import ATTACKER_ADDRESS, OWNER_ADDRESS, age_failures
from tests.conftest import sign_in
from tests.test_access_by_role import ANON, CASES, records  # noqa: F401
from tests.visits.test_concurrent_answers import THREADS, Browser, portal  # noqa: F401


@pytest.fixture
def clock(monkeypatch):
    """Two-step verification's "now", moved on by hand (codes change every 30 seconds)."""

    class Clock:
        now = utcnow()

        def __call__(self):
            return self.now

        def advance(self, **delta):
            self.now += timedelta(**delta)

    fixed = Clock()
    monkeypatch.setattr(mfa, "utcnow", fixed)
    return fixed


def app_code(user, clock, steps: int = 0) -> str:
    """What the user's authenticator app shows now (or `steps` half-minutes from now)."""
    secret = db.session.get(TwoStepCredential, user.id).secret
    return pyotp.TOTP(secret).at(clock.now + timedelta(seconds=30 * steps))


def turn_on(user, clock) -> list[str]:
    mfa.start_setup(user)
    codes = mfa.confirm_setup(user, app_code(user, clock))
    db.session.commit()
    clock.advance(seconds=30)  # the set-up's code is spent; the app now shows the next one
    return codes


def live_sessions(user) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
    )


def sign_in_with_code(app, user, code: str, **kwargs):
    client = app.test_client()
    first = sign_in(client, user, **kwargs)
    assert first.headers["Location"] == "/sign-in/code"
    return client, client.post("/sign-in/code", data={"code": code})


# --- setting it up ---------------------------------------------------------------------------


def test_setup_turns_on_only_with_a_current_code_from_the_app(clock):
    user = factories.user("staff")
    mfa.start_setup(user)
    other_secret = pyotp.TOTP(pyotp.random_base32()).at(clock.now)

    for wrong in ("000000", other_secret, "12345", ""):
        with pytest.raises(mfa.TwoStepError, match="not correct"):
            mfa.confirm_setup(user, wrong)
    assert not mfa.is_on(user)

    clock.advance(hours=1)  # wrong codes make a wait; it has passed
    codes = mfa.confirm_setup(user, app_code(user, clock))
    assert mfa.is_on(user)
    assert len(codes) == len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", code) for code in codes)


def test_recovery_codes_are_stored_only_as_hashes(clock):
    user = factories.user("staff")
    codes = turn_on(user, clock)
    stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10
    assert all(re.fullmatch(r"[0-9a-f]{64}", digest) for digest in stored)
    plain = {code.replace("-", "") for code in codes} | set(codes)
    assert not plain & set(stored)


def test_setup_page_shows_a_qr_code_and_the_secret_in_fours_then_the_recovery_codes(login, clock):
    user = factories.user("staff")
    client = login(user)

    page = client.get("/account/two-step").get_data(as_text=True)
    secret = db.session.get(TwoStepCredential, user.id).secret
    assert " ".join(re.findall("....", secret)) in page
    assert 'src="data:image/svg+xml' in page
    assert "<script>" not in page
    # A reload keeps the same secret, so a half-finished set-up in the app still works.
    assert client.get("/account/two-step").get_data(as_text=True).count(secret[:4] + " ") == 1
    assert db.session.get(TwoStepCredential, user.id).secret == secret

    refused = client.post("/account/two-step", data={"code": "123456"})
    assert "The code is not correct" in refused.get_data(as_text=True)
    assert not mfa.is_on(user)

    clock.advance(hours=1)
    done = client.post("/account/two-step", data={"code": app_code(user, clock)})
    shown = re.findall(r"<code>([a-z2-9-]{14})</code>", done.get_data(as_text=True))
    assert len(shown) == 10
    assert "Two-step verification is on" in done.get_data(as_text=True)
    account = client.get("/account").get_data(as_text=True)
    assert 'data-two-step="on"' in account
    assert f"since {clock.now:%-d %B %Y}" in account  # the day it was turned on


# --- codes -----------------------------------------------------------------------------------


def test_an_app_code_works_once_within_its_window(clock):
    user = factories.user("officer")
    turn_on(user, clock)
    code = app_code(user, clock)
    mfa.verify(user, code)
    with pytest.raises(mfa.TwoStepError, match="already been used"):
        mfa.verify(user, code)
    clock.advance(seconds=30)
    mfa.verify(user, app_code(user, clock))


def test_codes_of_the_neighbouring_half_minutes_are_accepted_but_not_older_ones(clock):
    user = factories.user("officer")
    turn_on(user, clock)
    clock.advance(minutes=5)
    with pytest.raises(mfa.TwoStepError):
        mfa.verify(user, app_code(user, clock, steps=-2))
    mfa.verify(user, app_code(user, clock, steps=-1))
    mfa.verify(user, app_code(user, clock, steps=1))
    # The code of "now" is older than the one just used: refused as used.
    with pytest.raises(mfa.TwoStepError):
        mfa.verify(user, app_code(user, clock))


def test_a_recovery_code_works_once_however_it_is_typed(clock):
    user = factories.user("admin")
    codes = turn_on(user, clock)
    mfa.verify(user, "  " + codes[0].upper().replace("-", " ") + " ")
    with pytest.raises(mfa.TwoStepError):
        mfa.verify(user, codes[0])
    mfa.verify(user, codes[1])
    used = db.session.scalar(
        select(func.count()).select_from(RecoveryCode).where(RecoveryCode.used_at.is_not(None))
    )
    assert used == 2
    assert mfa.recovery_codes_left(user) == 8


def test_recovery_codes_of_one_user_do_not_work_for_another(clock):
    first, second = factories.user("staff"), factories.user("staff")
    first_codes, _ = turn_on(first, clock), turn_on(second, clock)
    with pytest.raises(mfa.TwoStepError):
        mfa.verify(second, first_codes[0])


def test_new_recovery_codes_need_the_password_and_replace_the_old_ones(clock):
    user = factories.user("staff")
    old = turn_on(user, clock)
    with pytest.raises(mfa.TwoStepError, match="password is not correct"):
        mfa.renew_recovery_codes(user, "not-my-password")
    new = mfa.renew_recovery_codes(user, factories.PASSWORD)
    with pytest.raises(mfa.TwoStepError):
        mfa.verify(user, old[2])
    mfa.verify(user, new[0])


# --- signing in ------------------------------------------------------------------------------


def test_after_the_password_a_code_is_asked_for_before_any_session(app, clock):
    user = factories.user("staff")
    turn_on(user, clock)
    client = app.test_client()
    response = sign_in(client, user)
    assert response.headers["Location"] == "/sign-in/code"
    assert live_sessions(user) == 0
    assert "Enter your code" in client.get("/sign-in/code").get_data(as_text=True)
    with client.session_transaction() as session:
        assert "sid" not in session


def test_a_half_signed_in_session_reaches_no_other_page(app, clock, records_for_pages):
    user = factories.user("admin")
    turn_on(user, clock)
    client = app.test_client()
    sign_in(client, user)
    for url in records_for_pages:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/sign-in"), url
    assert client.post("/account/sign-out-other-devices").status_code == 302
    assert live_sessions(user) == 0


def test_a_half_signed_in_session_gets_what_a_stranger_gets_from_every_route(app, clock, records):  # noqa: F811
    """Every route of the access walk, with its records, GET and POST (JSON answers, file
    downloads, admin actions): after the password and before the code, nothing more than
    the signed-out get."""
    user = factories.user("admin")
    turn_on(user, clock)
    client = app.test_client()
    sign_in(client, user)
    for case in CASES:
        if case.endpoint == "accounts.sign_in_code":
            continue
        url = case.url(records)
        response = client.open(url, method=case.method)
        assert response.status_code == case.expected(ANON), f"{case.method} {url}"
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/sign-in"), f"{case.method} {url}"
    assert live_sessions(user) == 0


@pytest.fixture
def records_for_pages(app):
    """Every page without a record in its address, but the few anyone may open."""
    public = {"main.health", "main.accessibility", "main.privacy", "static"}
    public |= {"accounts.sign_in", "accounts.sign_in_code", "accounts.forgot_password"}
    public |= {"accounts.sign_out"}  # a confirmation page that sends the signed-out to sign in
    urls = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.arguments and rule.endpoint not in public
    ]
    assert "/account" in urls and "/admin/users" in urls
    return urls


def test_the_code_step_starts_the_session_with_its_choices(app, clock):
    user = factories.user("staff")
    turn_on(user, clock)
    client = app.test_client()
    client.post(
        "/sign-in?next=/account",
        data={"email": user.email, "password": factories.PASSWORD, "remember": "y"},
    )
    response = client.post("/sign-in/code", data={"code": app_code(user, clock)})
    assert response.headers["Location"] == "/account"
    assert client.get("/account").status_code == 200
    assert db.session.scalars(select(UserSession)).one().remember is True
    with client.session_transaction() as session:
        assert mfa_pending_gone(session)


def mfa_pending_gone(session) -> bool:
    return not any(key.startswith("two_step") for key in session)


def test_a_wrong_code_is_refused_and_the_waits_grow(app, clock):
    user = factories.user("officer")
    turn_on(user, clock)
    client, response = sign_in_with_code(app, user, "000000")
    assert "The code is not correct" in response.get_data(as_text=True)
    for _ in range(app.config["SIGN_IN_FREE_FAILURES"]):
        client.post("/sign-in/code", data={"code": "111111"})
    # Inside the wait even the right code is refused, without being used up.
    right = app_code(user, clock)
    waiting = client.post("/sign-in/code", data={"code": right})
    assert "Too many wrong attempts. Wait 1 second before trying again" in waiting.get_data(
        as_text=True
    )
    age_failures(timedelta(seconds=1))
    client.post("/sign-in/code", data={"code": "333333"})
    waiting = client.post("/sign-in/code", data={"code": right})
    assert "Wait 2 seconds before trying again" in waiting.get_data(as_text=True)
    age_failures(timedelta(seconds=2))
    assert client.post("/sign-in/code", data={"code": right}).headers["Location"] == "/"
    assert live_sessions(user) == 1
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "two_step_failed")
        )
        == app.config["SIGN_IN_FREE_FAILURES"] + 2
    )
    assert db.session.scalar(select(func.count()).select_from(SignInFailure)) == 0


def sign_in_from(app, user, ip: str):
    """A client that has given the password from `ip` and is asked for the code."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    assert sign_in(client, user).headers["Location"] == "/sign-in/code"
    return client


def test_wrong_codes_from_elsewhere_never_stop_the_owner_finishing_on_their_own_device(app, clock):
    owner = factories.user("staff")
    turn_on(owner, clock)
    # Someone with the password guesses codes from another address, as fast as allowed.
    attacker = sign_in_from(app, owner, ATTACKER_ADDRESS)
    for guess in range(30):
        attacker.post("/sign-in/code", data={"code": f"{guess:06d}"})
        age_failures(timedelta(minutes=20))
    assert live_sessions(owner) == 0

    phone = sign_in_from(app, owner, OWNER_ADDRESS)
    response = phone.post("/sign-in/code", data={"code": app_code(owner, clock)})
    assert response.headers["Location"] == "/"
    assert live_sessions(owner) == 1


def test_wrong_codes_make_that_address_wait_even_after_giving_the_password_again(app, clock):
    user = factories.user("staff")
    turn_on(user, clock)
    client = sign_in_from(app, user, ATTACKER_ADDRESS)
    for guess in range(app.config["SIGN_IN_FREE_FAILURES"] + 1):
        client.post("/sign-in/code", data={"code": f"{guess:06d}"})

    # A wrong code is a failed sign-in: the password from that address waits too ...
    password = client.post("/sign-in", data={"email": user.email, "password": factories.PASSWORD})
    assert "Wait 1 second before trying again" in password.get_data(as_text=True)
    # ... and once it is accepted again, it has not wiped the code's failures.
    age_failures(timedelta(seconds=1))
    client = sign_in_from(app, user, ATTACKER_ADDRESS)
    client.post("/sign-in/code", data={"code": "999999"})
    refused = client.post("/sign-in/code", data={"code": app_code(user, clock)})
    assert "Too many wrong attempts. Wait 2 seconds" in refused.get_data(as_text=True)
    age_failures(timedelta(seconds=2))
    done = client.post("/sign-in/code", data={"code": app_code(user, clock)})
    assert done.headers["Location"] == "/"


def test_a_recovery_code_signs_in_once(app, clock):
    user = factories.user("head")
    codes = turn_on(user, clock)
    _, first = sign_in_with_code(app, user, codes[3])
    assert first.headers["Location"] == "/"
    _, second = sign_in_with_code(app, user, codes[3])
    assert second.status_code == 200
    assert "The code is not correct or has already been used" in second.get_data(as_text=True)


def test_the_code_step_expires(app, clock):
    user = factories.user("staff")
    turn_on(user, clock)
    client = app.test_client()
    sign_in(client, user)
    with client.session_transaction() as session:
        session["two_step_pending"] = {**session["two_step_pending"], "until": utcnow().timestamp()}
    response = client.post("/sign-in/code", data={"code": app_code(user, clock)})
    assert response.headers["Location"] == "/sign-in"
    assert live_sessions(user) == 0


def test_without_two_step_sign_in_stays_one_step(client):
    user = factories.user("staff")
    assert sign_in(client, user).headers["Location"] == "/"


# --- who must use it -------------------------------------------------------------------------


def test_mfa_required_roles_sends_a_user_to_setup_until_it_is_on(app, login, clock, monkeypatch):
    monkeypatch.setitem(app.config, "MFA_REQUIRED_ROLES", ("admin", "officer", "staff"))
    staff, head = factories.user("staff"), factories.user("head")
    client = login(staff)
    for url in ("/", "/account", "/providers", "/visits", "/account/password"):
        response = client.get(url)
        assert response.headers.get("Location") == "/account/two-step", url
    assert client.post("/account/sign-out-other-devices").status_code == 302
    setup = client.get("/account/two-step")
    assert "must use two-step verification" in setup.get_data(as_text=True)

    client.post("/account/two-step", data={"code": app_code(staff, clock)})
    assert client.get("/").status_code == 200
    assert login(head).get("/").status_code == 200  # heads are not required to


def test_mfa_required_roles_is_empty_in_development_and_set_in_production(monkeypatch, tmp_path):
    monkeypatch.delenv("MFA_REQUIRED_ROLES", raising=False)
    monkeypatch.setenv("PORTAL_ENV", "development")
    assert config.from_environment(str(tmp_path))["MFA_REQUIRED_ROLES"] == ()
    monkeypatch.setenv("PORTAL_ENV", "production")
    assert config.from_environment(str(tmp_path))["MFA_REQUIRED_ROLES"] == (
        "admin",
        "officer",
        "staff",
    )
    monkeypatch.setenv("MFA_REQUIRED_ROLES", " Admin , ")
    assert config.from_environment(str(tmp_path))["MFA_REQUIRED_ROLES"] == ("admin",)


def test_an_unknown_role_in_mfa_required_roles_is_refused():
    with pytest.raises(RuntimeError, match="unknown role"):
        mfa.check_required_roles({"MFA_REQUIRED_ROLES": ("admins",)})


# --- turning it off --------------------------------------------------------------------------


def test_a_user_turns_it_off_with_their_password_and_a_code(app, clock):
    user = factories.user("staff")
    turn_on(user, clock)
    client, _ = sign_in_with_code(app, user, app_code(user, clock))
    clock.advance(seconds=30)

    wrong = client.post(
        "/account/two-step/turn-off", data={"password": "not-it-at-all", "code": "000000"}
    )
    assert "Your password is not correct" in wrong.get_data(as_text=True)
    no_code = client.post(
        "/account/two-step/turn-off", data={"password": factories.PASSWORD, "code": "000000"}
    )
    assert "The code is not correct" in no_code.get_data(as_text=True)
    assert mfa.is_on(user)

    clock.advance(minutes=1)
    done = client.post(
        "/account/two-step/turn-off",
        data={"password": factories.PASSWORD, "code": app_code(user, clock)},
    )
    assert done.headers["Location"] == "/account"
    assert not mfa.is_on(user)
    assert db.session.scalar(select(func.count()).select_from(RecoveryCode)) == 0
    assert 'data-two-step="off"' in client.get("/account").get_data(as_text=True)


def test_admin_reset_turns_it_off_ends_every_session_and_is_audited(app, login, clock):
    admin, user = factories.user("admin"), factories.user("staff")
    turn_on(user, clock)
    phone, _ = sign_in_with_code(app, user, app_code(user, clock))
    assert live_sessions(user) == 1
    client = login(admin)

    page = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "Turn off two-step verification" in page
    confirm = client.get(f"/admin/users/{user.id}/two-step")
    assert "They will be signed out on every device" in confirm.get_data(as_text=True)
    assert mfa.is_on(user)  # asking is not doing

    response = client.post(f"/admin/users/{user.id}/two-step")
    assert response.headers["Location"] == f"/admin/users/{user.id}"
    assert not mfa.is_on(user)
    assert live_sessions(user) == 0
    assert phone.get("/account").status_code == 302
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "two_step_reset")
    ).one()
    assert (event.actor_id, event.target_id) == (admin.id, str(user.id))
    assert event.details == {"sessions_ended": 1}
    # With a lost phone the password alone now signs in (and the role may ask for a set-up).
    assert sign_in(app.test_client(), user).headers["Location"] == "/"


def test_admin_reset_is_not_offered_for_an_account_without_it_or_their_own(login, clock):
    admin, user = factories.user("admin"), factories.user("staff")
    turn_on(admin, clock)
    client = login(factories.user("admin"))
    assert "Turn off two-step" not in client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert client.post(f"/admin/users/{user.id}/two-step").status_code == 302
    with pytest.raises(mfa.TwoStepError, match="your own"):
        mfa.reset_by_admin(admin, admin)
    assert mfa.is_on(admin)
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "two_step_reset")
        )
        == 0
    )


def test_set_up_recovery_code_use_new_codes_and_turning_off_are_in_the_audit_log(app, clock):
    user = factories.user("staff")
    codes = turn_on(user, clock)
    client, _ = sign_in_with_code(app, user, codes[0])
    client.post("/account/two-step/recovery-codes", data={"password": factories.PASSWORD})
    clock.advance(seconds=30)
    client.post(
        "/account/two-step/turn-off",
        data={"password": factories.PASSWORD, "code": app_code(user, clock)},
    )
    assert not mfa.is_on(user)
    events = db.session.execute(
        select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.target_id).order_by(AuditEvent.id)
    ).all()
    mine = [
        action for action, actor, target in events if (actor, target) == (user.id, str(user.id))
    ]
    assert [a for a in mine if a.startswith(("two_step", "recovery"))] == [
        "two_step_on",
        "recovery_code_used",
        "recovery_codes_renewed",
        "two_step_off",
    ]


# --- bad input -------------------------------------------------------------------------------

ODD_CODES = (
    "١٢٣٤٥٦",  # Arabic-Indic digits: digits to Python, not to an authenticator app
    "²²²²²²",
    "１２３４５６",  # full-width
    "ｅｅｅｅ-ｅｅｅｅ-ｅｅｅｅ",
    "\x00" * 30,
    "12\x0034\x0056",
    "\ufffd" * 6,
)
# What the page says: a code of control characters is refused by every form's text guard.
REFUSED = ("The code is not correct", "Remove the control characters")


def is_refused(response) -> bool:
    page = response.get_data(as_text=True)
    return any(message in page for message in REFUSED)


def test_odd_codes_at_sign_in_are_refused_with_the_message_not_a_server_error(app, clock):
    user = factories.user("staff")
    turn_on(user, clock)
    client = app.test_client()
    sign_in(client, user)
    for code in ODD_CODES:
        age_failures(timedelta(hours=1))  # past any wait the earlier ones earned
        response = client.post("/sign-in/code", data={"code": code})
        assert response.status_code == 200, repr(code)
        assert is_refused(response), repr(code)
    lone_surrogate = client.post(
        "/sign-in/code",
        data=b"code=%ED%A0%80%ED%A0%80",
        content_type="application/x-www-form-urlencoded",
    )
    assert lone_surrogate.status_code == 200
    too_long = client.post("/sign-in/code", data={"code": "1" * 100_000})
    assert "Enter the 6-digit code" in too_long.get_data(as_text=True)
    assert live_sessions(user) == 0


def test_odd_codes_at_set_up_and_turning_off_are_refused_not_a_server_error(login, clock):
    user = factories.user("staff")
    client = login(user)
    client.get("/account/two-step")
    for code in ODD_CODES:
        clock.advance(hours=1)
        response = client.post("/account/two-step", data={"code": code})
        assert is_refused(response), repr(code)
    assert not mfa.is_on(user)
    clock.advance(hours=1)
    client.post("/account/two-step", data={"code": app_code(user, clock)})
    for code in ODD_CODES:
        clock.advance(hours=1)
        response = client.post(
            "/account/two-step/turn-off", data={"password": factories.PASSWORD, "code": code}
        )
        assert is_refused(response), repr(code)
    assert mfa.is_on(user)


def test_a_code_step_begun_before_the_password_changed_no_longer_signs_in(app, clock):
    user = factories.user("staff")
    turn_on(user, clock)
    client = app.test_client()
    sign_in(client, user)  # someone who knew the old password, and kept this cookie
    services.set_password(user, "a-brand-new-passphrase")
    db.session.commit()

    response = client.post("/sign-in/code", data={"code": app_code(user, clock)})
    assert response.headers["Location"] == "/sign-in"
    assert live_sessions(user) == 0


def test_who_may_reset_anothers_two_step_verification_is_decided_by_policy():
    admin, other_admin, staff = (factories.user(r) for r in ("admin", "admin", "staff"))
    assert policy.can(admin, "reset_two_step", staff)
    assert policy.can(admin, "reset_two_step", other_admin)
    assert not policy.can(admin, "reset_two_step", admin)
    assert not policy.can(staff, "reset_two_step", staff)
    assert not policy.can(factories.user("officer"), "reset_two_step", staff)


# --- codes sent together ---------------------------------------------------------------------


def test_wrong_codes_sent_together_are_counted_one_after_another_and_wait(portal):  # noqa: F811
    """Over real HTTP to a threaded server (CSRF on): a guesser sending codes side by side
    gets one checked, then the wait it earned, as if they had come one by one."""
    with portal.app.app_context():
        user = factories.user("staff")
        mfa.start_setup(user)
        secret = db.session.get(TwoStepCredential, user.id).secret
        mfa.confirm_setup(user, pyotp.TOTP(secret).now())
        # Nine failures from this address an hour ago: the next is checked, then 64 s of wait.
        hour_ago = utcnow() - timedelta(hours=1)
        db.session.add_all(
            SignInFailure(email=user.email, ip="127.0.0.1", created_at=hour_ago) for _ in range(9)
        )
        db.session.commit()
        email, user_id = user.email, user.id
    browser = Browser(portal)
    browser.sign_in(email)
    token = browser.page_token("/sign-in/code")
    barrier = threading.Barrier(THREADS)
    answers: list[bytes] = []

    def guess(n: int) -> None:
        conn = browser.connect()  # connected before the barrier: only the POST races
        barrier.wait(timeout=30)
        body = urlencode({"code": f"{n:06d}", "csrf_token": token}).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        answers.append(browser.send("POST", "/sign-in/code", body, headers, conn)[1])

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(answers) == THREADS
    checked = sum(b"The code is not correct" in answer for answer in answers)
    waited = sum(b"Too many wrong attempts" in answer for answer in answers)
    assert (checked, waited) == (1, THREADS - 1)
    with portal.app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).select_from(SignInFailure).where(SignInFailure.email == email)
            )
            == 10
        )
        assert (
            db.session.scalar(
                select(func.count()).select_from(UserSession).where(UserSession.user_id == user_id)
            )
            == 0
        )


def test_the_set_up_page_opened_many_times_at_once_shows_one_secret_and_no_error(portal):  # noqa: F811
    with portal.app.app_context():
        user = factories.user("staff")
        db.session.commit()
        email = user.email
    browser = Browser(portal)
    browser.sign_in(email)
    barrier = threading.Barrier(THREADS)
    pages: list[tuple[int, bytes]] = []

    def open_set_up() -> None:
        conn = browser.connect()
        barrier.wait(timeout=30)
        pages.append(browser.send("GET", "/account/two-step", conn=conn))

    threads = [threading.Thread(target=open_set_up) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert [status for status, _ in pages] == [200] * THREADS
    secrets = {
        re.search(rb"<code data-two-step-secret>([A-Z2-7 ]+)</code>", page)[1] for _, page in pages
    }
    assert len(secrets) == 1
