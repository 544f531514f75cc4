"""Sign-in throttling: growing waits for the guesser, never a lock-out for the owner."""

from __future__ import annotations

import threading
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from qa_portal.accounts.models import SignInFailure, UserSession
from qa_portal.accounts.services import growing_delay
from qa_portal.db import db, utcnow
from tests import factories
from tests.visits.test_concurrent_answers import THREADS, Browser, portal  # noqa: F401

WRONG = "Enter a correct email address and password"
OWNER_ADDRESS = "203.0.113.5"
ATTACKER_ADDRESS = "198.51.100.7"
SCHOOL_ADDRESS = "192.0.2.40"


def attempt(client, email: str, password: str, ip: str):
    return client.post(
        "/sign-in", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": ip}
    )


def add_failures(email: str, ip: str, count: int) -> None:
    """Failures recorded earlier, as a patient attacker leaves them (newest just now)."""
    now = utcnow()
    db.session.add_all(
        SignInFailure(email=email, ip=ip, created_at=now - timedelta(seconds=n))
        for n in range(count)
    )
    db.session.commit()


def age_failures(by: timedelta) -> None:
    for failure in db.session.scalars(select(SignInFailure)):
        failure.created_at -= by
    db.session.commit()


def failure_count() -> int:
    return db.session.scalar(select(func.count()).select_from(SignInFailure))


def sessions_of(user) -> int:
    return db.session.scalar(
        select(func.count()).select_from(UserSession).where(UserSession.user_id == user.id)
    )


def test_owner_signs_in_from_their_address_after_50_failures_from_another(client):
    owner = factories.user("staff")
    add_failures(owner.email, ATTACKER_ADDRESS, 50)

    response = attempt(client, owner.email, factories.PASSWORD, OWNER_ADDRESS)

    assert response.status_code == 302
    assert sessions_of(owner) == 1


def test_owner_of_an_account_under_heavy_attack_still_signs_in_and_waits_a_second_after_a_typo(
    app, client
):
    owner = factories.user("officer")
    add_failures(owner.email, ATTACKER_ADDRESS, app.config["SIGN_IN_ACCOUNT_ATTACK_FAILURES"] + 50)

    typo = attempt(client, owner.email, "correct-horse-batery", OWNER_ADDRESS)
    assert WRONG.encode() in typo.data
    # Under attack the free attempts go, but the wait starts at one second, from the
    # owner's own failure: nothing the attacker does makes it longer.
    too_soon = attempt(client, owner.email, factories.PASSWORD, OWNER_ADDRESS)
    assert b"Wait 1 second before trying again" in too_soon.data
    age_failures(timedelta(seconds=1))
    assert attempt(client, owner.email, factories.PASSWORD, OWNER_ADDRESS).status_code == 302


def test_colleague_behind_a_shared_school_address_signs_in_after_30_failures_on_other_accounts(
    client,
):
    for n in range(30):
        response = attempt(client, f"pupil{n}@school.example", "guess-guess-1", SCHOOL_ADDRESS)
        assert WRONG.encode() in response.data
    colleague = factories.user("head")

    response = attempt(client, colleague.email, factories.PASSWORD, SCHOOL_ADDRESS)

    assert response.status_code == 302


def test_spraying_address_gets_no_free_attempts_yet_a_colleague_signs_in(app, client):
    spray = app.config["SIGN_IN_ADDRESS_SPRAY_ACCOUNTS"]
    for n in range(spray):
        add_failures(f"target{n}@example.org", SCHOOL_ADDRESS, 1)
    colleague = factories.user("head")
    assert attempt(client, colleague.email, factories.PASSWORD, SCHOOL_ADDRESS).status_code == 302

    victim, sprayer = factories.user("staff"), app.test_client()
    attempt(sprayer, victim.email, "first-guess-1", SCHOOL_ADDRESS)
    second = attempt(sprayer, victim.email, "second-guess-2", SCHOOL_ADDRESS)
    assert b"Wait 1 second before trying again" in second.data


def test_attackers_pair_is_refused_inside_a_delay_that_grows(app, client):
    user = factories.user("staff")
    free = app.config["SIGN_IN_FREE_FAILURES"]
    for _ in range(free):
        assert WRONG.encode() in attempt(client, user.email, "wrong-guess-1", ATTACKER_ADDRESS).data

    for expected in ("Wait 1 second ", "Wait 2 seconds ", "Wait 4 seconds ", "Wait 8 seconds "):
        assert WRONG.encode() in attempt(client, user.email, "wrong-guess-2", ATTACKER_ADDRESS).data
        recorded = failure_count()
        # Inside the wait even the right password is refused, unchecked and uncounted.
        refused = attempt(client, user.email, factories.PASSWORD, ATTACKER_ADDRESS)
        assert refused.status_code == 200
        assert f"Too many failed attempts to sign in. {expected}before trying again".encode() in (
            refused.data
        )
        assert failure_count() == recorded
        assert sessions_of(user) == 0
        age_failures(timedelta(seconds=int(expected.split()[1])))


def test_the_wait_stops_growing_at_the_cap(app, client):
    user = factories.user("staff")
    add_failures(user.email, ATTACKER_ADDRESS, 40)
    response = attempt(client, user.email, factories.PASSWORD, ATTACKER_ADDRESS)
    assert b"Wait 15 minutes before trying again" in response.data
    age_failures(timedelta(minutes=app.config["SIGN_IN_MAX_DELAY_MINUTES"]))
    assert attempt(client, user.email, factories.PASSWORD, ATTACKER_ADDRESS).status_code == 302


@pytest.mark.parametrize(
    ("failures", "free", "seconds"),
    [(0, 3, 0), (3, 3, 0), (4, 3, 1), (5, 3, 2), (6, 3, 4), (13, 3, 512), (14, 3, 900), (1, 0, 1)],
)
def test_growing_delay_doubles_after_the_free_failures_up_to_the_cap(failures, free, seconds):
    assert growing_delay(failures, free, timedelta(minutes=15)) == timedelta(seconds=seconds)


def test_unknown_email_and_wrong_password_get_the_same_answers_and_throttling(app, client):
    user = factories.user("officer")

    def answers(email: str) -> list[tuple[int, bool, bool]]:
        seen = []
        for _ in range(app.config["SIGN_IN_FREE_FAILURES"] + 3):
            response = attempt(client, email, "wrong-guess-9", ATTACKER_ADDRESS)
            seen.append(
                (
                    response.status_code,
                    WRONG.encode() in response.data,
                    b"Wait 1 second before trying again" in response.data,
                )
            )
        return seen

    known, unknown = answers(user.email), answers("nobody.here@example.org")
    assert known == unknown
    assert (200, True, False) in known and (200, False, True) in known


def test_success_clears_that_pairs_failures_only(client):
    user = factories.user("staff")
    add_failures(user.email, OWNER_ADDRESS, 2)
    add_failures(user.email, ATTACKER_ADDRESS, 6)
    assert attempt(client, user.email, factories.PASSWORD, OWNER_ADDRESS).status_code == 302
    left = db.session.scalars(select(SignInFailure.ip).distinct()).all()
    assert left == [ATTACKER_ADDRESS]


def test_failures_are_forgotten_after_a_day(app, client):
    user = factories.user("head")
    add_failures(user.email, ATTACKER_ADDRESS, 40)
    age_failures(timedelta(hours=app.config["SIGN_IN_FAILURE_MEMORY_HOURS"]))
    assert attempt(client, user.email, factories.PASSWORD, ATTACKER_ADDRESS).status_code == 302


def test_wrong_passwords_sent_together_are_checked_one_after_another_and_wait(portal):  # noqa: F811
    """Over real HTTP to a threaded server (CSRF on): a guesser sending passwords side by side
    gets one checked, then the wait it earned, as if they had come one by one."""
    with portal.app.app_context():
        user = factories.user("staff")
        # Nine failures from this address an hour ago: the next is checked, then 64 s of wait.
        hour_ago = utcnow() - timedelta(hours=1)
        db.session.add_all(
            SignInFailure(email=user.email, ip="127.0.0.1", created_at=hour_ago) for _ in range(9)
        )
        db.session.commit()
        email = user.email
    browser = Browser(portal)
    token = browser.page_token("/sign-in")
    barrier = threading.Barrier(THREADS)
    answers: list[bytes] = []

    def guess(n: int) -> None:
        conn = browser.connect()  # connected before the barrier: only the POST races
        barrier.wait(timeout=30)
        form = {"email": email, "password": f"not-it-{n}-at-all", "csrf_token": token}
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        answers.append(browser.send("POST", "/sign-in", urlencode(form).encode(), headers, conn)[1])

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(answers) == THREADS
    checked = sum(WRONG.encode() in answer for answer in answers)
    waited = sum(b"Wait 64 seconds before trying again" in answer for answer in answers)
    assert (checked, waited) == (1, THREADS - 1)
    with portal.app.app_context():
        stored = select(func.count()).select_from(SignInFailure).where(SignInFailure.email == email)
        assert db.session.scalar(stored) == 10


def test_guesses_from_many_addresses_of_one_ipv6_network_wait_as_one_address(client):
    """One connection is given a whole /64: hopping between its addresses earns no fresh
    free attempts, and the owner elsewhere is still not stopped."""
    owner = factories.user("staff")
    for n in range(1, 5):
        response = attempt(client, owner.email, "wrong-password-1", f"2001:db8:1:2::{n:x}")
        assert WRONG in response.get_data(as_text=True)
    hopped = attempt(client, owner.email, "wrong-password-1", "2001:db8:1:2::ffff")
    assert "Too many failed attempts to sign in. Wait" in hopped.get_data(as_text=True)

    signed_in = attempt(client, owner.email, factories.PASSWORD, OWNER_ADDRESS)
    assert signed_in.status_code == 302
