"""Compliance state from the evidence, on a fixed day: compliant, due soon or non-compliant."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from qa_portal.db import db
from qa_portal.providers import services
from qa_portal.providers.compliance import State, assess
from qa_portal.providers.models import ComplianceItem, ItemStatus
from tests import factories

TODAY = date(2026, 11, 23)


@pytest.fixture
def fixed_clock(monkeypatch):
    monkeypatch.setattr("qa_portal.clock.today", lambda: TODAY)
    return TODAY


def provider_with_public_liability_expiring(days: int, **fields):
    provider = factories.compliant_provider(**fields)
    item = next(i for i in assess(provider, TODAY).kinds if i.kind.code == "public_liability")
    item.item.expiry_date = TODAY + timedelta(days=days)
    db.session.flush()
    return provider


def test_all_current_evidence_is_compliant():
    assert assess(factories.compliant_provider(), TODAY).state is State.COMPLIANT


@pytest.mark.parametrize(
    ("days", "state", "reason"),
    [
        (-1, State.NON_COMPLIANT, "Expired yesterday"),
        (0, State.DUE_SOON, "Expires today"),
        (1, State.DUE_SOON, "Expires tomorrow"),
        (30, State.DUE_SOON, "Expires in 30 days"),
        (31, State.COMPLIANT, "Current"),
    ],
)
def test_expiry_boundaries(days, state, reason):
    assessed = assess(provider_with_public_liability_expiring(days), TODAY)
    kind = next(k for k in assessed.kinds if k.kind.code == "public_liability")
    assert (kind.state, kind.reason) == (state, reason)
    assert assessed.state is state


def test_missing_required_evidence_is_non_compliant():
    provider = factories.provider()
    assessed = assess(provider, TODAY)
    assert assessed.state is State.NON_COMPLIANT
    assert {k.reason for k in assessed.problems} == {"Missing"}


def test_motor_insurance_is_required_only_of_providers_that_transport_pupils():
    provider = factories.compliant_provider()
    assert assess(provider, TODAY).state is State.COMPLIANT
    provider.transports_pupils = True
    assessed = assess(provider, TODAY)
    assert assessed.state is State.NON_COMPLIANT
    assert [k.kind.code for k in assessed.problems] == ["motor_insurance"]


def test_employers_liability_below_five_million_is_non_compliant():
    provider = factories.compliant_provider()
    el = next(k for k in assess(provider, TODAY).kinds if k.kind.code == "employers_liability")
    el.item.cover_amount = 2_000_000
    assessed = assess(provider, TODAY)
    assert assessed.state is State.NON_COMPLIANT
    assert assessed.problems[0].reason == "Cover below the £5,000,000 required"


def test_an_upload_counts_only_once_verified():
    provider = provider_with_public_liability_expiring(-3)
    staff = factories.user("staff")
    renewal = factories.item(
        provider,
        "public_liability",
        status=ItemStatus.AWAITING_VERIFICATION,
        expiry=TODAY + timedelta(days=365),
    )
    assert assess(provider, TODAY).state is State.NON_COMPLIANT
    services.verify_item(staff, renewal, approve=True, note="")
    assert assess(provider, TODAY).state is State.COMPLIANT
    history = services.history(provider, renewal.kind)
    assert [i.status for i in history] == [ItemStatus.VERIFIED, ItemStatus.SUPERSEDED]


def test_the_upload_verified_last_is_the_current_one_whichever_was_uploaded_first():
    provider = provider_with_public_liability_expiring(-3)
    staff = factories.user("staff")
    uploads = [
        factories.item(
            provider,
            "public_liability",
            status=ItemStatus.AWAITING_VERIFICATION,
            expiry=TODAY + timedelta(days=days),
        )
        for days in (200, 300)
    ]
    services.verify_item(staff, uploads[1], approve=True, note="")
    services.verify_item(staff, uploads[0], approve=True, note="")  # the earlier upload, after
    kind = next(k for k in assess(provider, TODAY).kinds if k.kind.code == "public_liability")
    assert kind.item is uploads[0]
    assert [i.status for i in services.history(provider, kind.kind)].count(ItemStatus.VERIFIED) == 1


def test_the_database_holds_one_verified_item_per_provider_and_kind():
    provider = provider_with_public_liability_expiring(-3)
    current = next(k for k in assess(provider, TODAY).kinds if k.kind.code == "public_liability")
    db.session.add(
        ComplianceItem(
            provider=provider,
            kind=current.kind,
            reference="SECOND",
            document_key="test/second.pdf",
            document_name="second.pdf",
            document_type="application/pdf",
            document_size=100,
            document_sha256="f" * 64,
            status=ItemStatus.VERIFIED,
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_rejecting_needs_a_reason_and_keeps_the_old_state():
    provider = provider_with_public_liability_expiring(-3)
    staff = factories.user("staff")
    renewal = factories.item(provider, "public_liability", status=ItemStatus.AWAITING_VERIFICATION)
    with pytest.raises(services.RegisterError, match="Say why"):
        services.verify_item(staff, renewal, approve=False, note="")
    services.verify_item(staff, renewal, approve=False, note="The certificate is for 2024")
    assert renewal.status is ItemStatus.REJECTED
    assert assess(provider, TODAY).state is State.NON_COMPLIANT


def test_expiring_list_is_right_for_today_30_and_31_days(fixed_clock, login):
    today = provider_with_public_liability_expiring(0, name="Expires Today Ltd")
    thirty = provider_with_public_liability_expiring(30, name="Thirty Days Ltd")
    provider_with_public_liability_expiring(31, name="Thirty One Days Ltd")
    expired = provider_with_public_liability_expiring(-10, name="Expired Ltd")
    db.session.commit()
    page = login(factories.user("officer")).get("/compliance/expiring").data.decode()
    assert "Thirty One Days Ltd" not in page
    positions = [page.index(p.name) for p in (expired, today, thirty)]
    assert positions == sorted(positions), "most urgent first"
    assert "Expires today" in page and "Expires in 30 days" in page
    assert "Expired 10 days ago" in page


def test_staff_see_the_providers_their_partnership_uses(fixed_clock, login):
    ours = provider_with_public_liability_expiring(5, name="Used By HBEP Ltd")
    theirs = provider_with_public_liability_expiring(5, name="Used By LIP Ltd")
    ours.partnerships.append(factories.partnership("HBEP"))
    theirs.partnerships.append(factories.partnership("LIP"))
    db.session.commit()
    client = login(factories.user("staff", partnership=factories.partnership("HBEP")))
    page = client.get("/compliance/expiring").data.decode()
    assert ours.name in page and theirs.name not in page
    assert theirs.name in client.get("/compliance/expiring?scope=all").data.decode()
    home = client.get("/").data.decode()
    assert "provider with evidence expiring within 30 days" in home


def test_badge_shows_on_the_register_list(fixed_clock, login):
    provider_with_public_liability_expiring(-1, name="Lapsed Lettings Ltd")
    db.session.commit()
    page = login(factories.user("head")).get("/providers?compliance=2").data.decode()
    assert "Lapsed Lettings Ltd" in page
    assert 'data-compliance="non_compliant"' in page
