"""The demo's contracts: a handful per partnership, some a school's and some the partnership's,
one per partnership ending within 30 days, HBEP's first with its signed PDF."""

from __future__ import annotations

from sqlalchemy import select

from qa_portal import demo, storage
from qa_portal.contracts.models import Contract, ContractState
from qa_portal.db import db
from qa_portal.partnerships.models import Partnership
from tests.contracts.conftest import TODAY


def test_each_partnership_has_a_handful_of_contracts_in_every_state():
    demo.seed()
    for partnership in db.session.scalars(select(Partnership)):
        contracts = db.session.scalars(
            select(Contract).where(Contract.partnership_id == partnership.id)
        ).all()
        assert len(contracts) == 4, partnership.code
        states = [c.state(TODAY) for c in contracts]
        assert states.count(ContractState.ENDING) == 1
        assert set(states) == set(ContractState)
        assert {c.school_id is None for c in contracts} == {True, False}
    signed = db.session.scalars(select(Contract).where(Contract.document_key.is_not(None))).one()
    assert signed.partnership.code == "HBEP"
    assert signed.provider.name == demo.DEMO_PROVIDERS[0][0]
    assert storage.get_storage().get(signed.document_key).startswith(b"%PDF")


def test_the_demo_head_and_provider_see_contracts(app):
    demo.seed()
    db.session.commit()
    from qa_portal.accounts.models import User
    from tests.conftest import sign_in

    for email in ("head@example.org", "provider@example.org", "officer@example.org"):
        client = app.test_client()
        user = db.session.scalars(select(User).where(User.email == email)).one()
        assert sign_in(client, user, demo.DEMO_PASSWORD).status_code == 302
        page = client.get("/contracts").data.decode()
        assert "data-contract=" in page, email
