"""Adding and changing contracts: the rules a person can break, each refused next to its field
with nothing stored; the 30-day rule at its edges; the audit trail."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from qa_portal import policy
from qa_portal.audit import AuditEvent
from qa_portal.contracts import services
from qa_portal.contracts.models import Contract, ContractState, RateUnit, state_on
from qa_portal.db import db
from tests import factories
from tests.contracts.conftest import TODAY, contract_form, parts, used_provider


def contracts() -> int:
    return db.session.scalar(select(func.count()).select_from(Contract))


@pytest.fixture
def staff(login):
    user = factories.user("staff")
    provider = used_provider()
    db.session.commit()
    return user, provider, login(user)


def test_staff_add_a_contract_commissioned_by_a_member_school(staff):
    user, provider, client = staff
    school = factories.school("HBEP", 1)
    response = client.post("/contracts/new", data=contract_form(provider, school_id=school.id))
    assert response.status_code == 302, response.data
    contract = db.session.scalars(select(Contract)).one()
    assert (contract.partnership_id, contract.school_id) == (user.partnership_id, school.id)
    assert contract.value == Decimal("12500.50") and contract.rate_unit is RateUnit.DAY
    assert contract.commissioner == school.name
    page = client.get(response.headers["Location"]).data.decode()
    assert "HBEP-2027-001" in page and "£12,500.50" in page and "£95.00 per day" in page
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "contract_created"))
    assert event.one().target_id == str(contract.id)


def test_a_contract_of_the_partnership_itself_has_no_school(staff):
    _, provider, client = staff
    assert client.post("/contracts/new", data=contract_form(provider)).status_code == 302
    contract = db.session.scalars(select(Contract)).one()
    assert contract.school_id is None
    assert contract.commissioner == factories.partnership("HBEP").name


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"end_date": parts(date(2027, 4, 1))}, "end_date", "The end date must be after"),
        ({"end_date": parts(date(2027, 3, 1))}, "end_date", "The end date must be after"),
        ({"value": "-1"}, "value", "Value must be £0 or more"),
        ({"rate_amount": "-0.01"}, "rate_amount", "Rate must be £0 or more"),
        ({"value": "12.345"}, "value", "in pounds and pence"),
        ({"value": "NaN"}, "value", "must be an amount in pounds"),
        ({"value": "Infinity"}, "value", "must be an amount in pounds"),
        ({"value": "1e400"}, "value", "must be at most"),
        ({"reference": ""}, "reference", "Enter the contract&#39;s reference"),
        ({"rate_unit": "week"}, "rate_unit", "Not a valid choice"),
    ],
)
def test_bad_input_is_refused_next_to_its_field(staff, change, field, message):
    _, provider, client = staff
    response = client.post("/contracts/new", data=contract_form(provider, **change))
    page = response.data.decode()
    assert response.status_code == 200
    assert message in page and f'id="{field}-error"' in page
    assert contracts() == 0


def test_a_reference_is_unique_in_a_partnership_whatever_its_case(staff):
    _, provider, client = staff
    factories.contract(provider, reference="HBEP-2027-001")
    db.session.commit()
    form = contract_form(provider, reference="hbep-2027-001")
    page = client.post("/contracts/new", data=form).data.decode()
    assert "HBEP already has a contract with the reference hbep-2027-001" in page
    assert 'id="reference-error"' in page and contracts() == 1


def test_another_partnership_may_use_the_same_reference(login):
    lip = factories.user("staff", partnership=factories.partnership("LIP"))
    provider = used_provider("LIP")
    factories.contract(provider, reference="HBEP-2027-001")
    db.session.commit()
    response = login(lip).post("/contracts/new", data=contract_form(provider))
    assert response.status_code == 302 and contracts() == 2


def test_a_school_of_another_partnership_is_refused(staff):
    _, provider, client = staff
    lip_school = factories.school("LIP")
    response = client.post("/contracts/new", data=contract_form(provider, school_id=lip_school.id))
    page = response.data.decode()
    assert "Choose the partnership itself or one of its member schools" in page
    assert 'id="school_id-error"' in page and contracts() == 0


def test_the_service_refuses_a_school_of_another_partnership_too():
    # An admin chooses among every school: the rule is the service's, not only the form's.
    admin = factories.user("admin")
    with pytest.raises(services.ContractError) as refused:
        services.create_contract(
            admin,
            factories.partnership("HBEP"),
            factories.school("LIP"),
            factories.provider(),
            services.Terms("X-1", TODAY, TODAY + timedelta(days=1), Decimal(1), Decimal(1), "day"),
            max_bytes=1000,
        )
    assert refused.value.field == "school_id"
    assert "is not a member school of HBEP" in str(refused.value)


def test_an_admin_choosing_a_school_of_another_partnership_is_told_so(login):
    admin = factories.user("admin")
    provider = used_provider()
    db.session.commit()
    form = contract_form(
        provider,
        partnership_id=factories.partnership("HBEP").id,
        school_id=factories.school("LIP").id,
    )
    page = login(admin).post("/contracts/new", data=form).data.decode()
    assert "is not a member school of HBEP" in page and contracts() == 0


@pytest.mark.parametrize("which", ["unused", "closed", "missing"])
def test_a_provider_id_outside_the_choices_is_refused(staff, which):
    _, _, client = staff
    if which == "missing":
        provider_id = 999_999
    else:
        other = factories.provider() if which == "unused" else used_provider()
        if which == "closed":
            from qa_portal.providers.models import ProviderStatus

            other.status = ProviderStatus.CLOSED
        db.session.commit()
        provider_id = other.id
    form = contract_form(factories.provider(), provider_id=provider_id)
    page = client.post("/contracts/new", data=form).data.decode()
    assert "Choose one of the providers listed" in page and 'id="provider_id-error"' in page
    assert contracts() == 0


def test_staff_cannot_move_a_contract_to_another_partnership(staff):
    _, provider, client = staff
    contract = factories.contract(provider)
    db.session.commit()
    form = contract_form(provider, partnership_id=factories.partnership("LIP").id)
    assert client.post(f"/contracts/{contract.id}/edit", data=form).status_code == 302
    db.session.refresh(contract)
    assert contract.partnership_id == factories.partnership("HBEP").id


def test_editing_records_what_changed(staff):
    user, provider, client = staff
    contract = factories.contract(provider, reference="OLD-1")
    db.session.commit()
    form = contract_form(provider, reference="NEW-1", value="500")
    response = client.post(f"/contracts/{contract.id}/edit", data=form)
    assert response.status_code == 302
    db.session.refresh(contract)
    assert (contract.reference, contract.value) == ("NEW-1", Decimal("500.00"))
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "contract_changed")
    ).one()
    assert event.details["reference"] == ["OLD-1", "NEW-1"]
    assert event.actor_id == user.id


def test_the_edit_form_shows_the_contract_as_stored(staff):
    _, provider, client = staff
    school = factories.school("HBEP", 1)
    contract = factories.contract(provider, school_record=school, rate_unit=RateUnit.SESSION)
    db.session.commit()
    page = client.get(f"/contracts/{contract.id}/edit").data.decode()
    assert f'value="{contract.reference}"' in page
    assert f'<option selected value="{school.id}"' in page or (
        f'value="{school.id}" selected' in page
    )
    assert 'value="session" checked' in page


def test_keeping_the_same_reference_on_edit_is_no_clash(staff):
    _, provider, client = staff
    contract = factories.contract(provider, reference="HBEP-2027-001")
    db.session.commit()
    response = client.post(f"/contracts/{contract.id}/edit", data=contract_form(provider))
    assert response.status_code == 302


# --- where a contract stands: the 30-day rule at its edges ------------------------------------

EDGES = [
    # (start, end, state)
    (TODAY + timedelta(days=1), TODAY + timedelta(days=10), ContractState.NOT_STARTED),
    (TODAY, TODAY + timedelta(days=31), ContractState.CURRENT),
    (TODAY - timedelta(days=99), TODAY + timedelta(days=31), ContractState.CURRENT),
    (TODAY - timedelta(days=99), TODAY + timedelta(days=30), ContractState.ENDING),
    (TODAY - timedelta(days=99), TODAY + timedelta(days=1), ContractState.ENDING),
    (TODAY - timedelta(days=99), TODAY, ContractState.ENDING),  # its last day is today
    (TODAY - timedelta(days=99), TODAY - timedelta(days=1), ContractState.ENDED),
]


@pytest.mark.parametrize(("start", "end", "state"), EDGES, ids=lambda v: str(v))
def test_the_30_day_rule_at_its_edges_in_python_and_in_sql(start, end, state):
    assert state_on(start, end, TODAY) is state
    contract = factories.contract(start=start, end=end)
    in_sql = db.session.scalar(select(services.state_sql(TODAY)).where(Contract.id == contract.id))
    assert in_sql == state.value
    for other in ContractState:
        matched = db.session.scalar(
            select(func.count())
            .select_from(Contract)
            .where(Contract.id == contract.id, services.state_condition(other, TODAY))
        )
        assert matched == (other is state), other


def test_each_role_may_edit_only_what_policy_says():
    contract = factories.contract(factories.provider())
    lip = factories.contract(factories.provider(), "LIP")
    staff = factories.user("staff")
    assert policy.can(staff, "edit", contract) and not policy.can(staff, "edit", lip)
    assert not policy.can(factories.user("officer"), "edit", contract)
