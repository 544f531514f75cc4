"""The provider register: adding and editing providers, status history, usage, filters."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from qa_portal.audit import AuditEvent
from qa_portal.db import db
from qa_portal.providers.models import Provider, ProviderStatus
from tests import factories


def provider_form(**overrides):
    data = {
        "name": "Example Motor Project",
        "ofsted_registered": "no",
        "ofsted_urn": "",
        "vocational_areas": [],
        "address": "1 Test Street",
        "postcode": "LE1 1AA",
        "contact_email": "office@motor.example.org",
        "age_from": "11",
        "age_to": "16",
        "capacity": "8",
    }
    data.update(overrides)
    return data


def providers_named(name: str) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Provider).where(Provider.name == name)
    )


@pytest.fixture
def staff_client(login):
    user = factories.user("staff", partnership=factories.partnership("SLIP"))
    db.session.commit()
    return user, login(user)


def test_staff_add_a_provider_used_by_their_partnership(staff_client):
    _, client = staff_client
    response = client.post(
        "/providers/new", data=provider_form(ofsted_registered="yes", ofsted_urn=" ey 123456 ")
    )
    assert response.status_code == 302
    provider = db.session.scalars(
        select(Provider)
        .where(Provider.name == "Example Motor Project")
        .options(selectinload(Provider.partnerships))
    ).one()
    assert provider.ofsted_urn == "EY123456"
    assert [p.code for p in provider.partnerships] == ["SLIP"]
    assert provider.status is ProviderStatus.APPROVED
    assert provider.status_history[0].reason == "Added to the register"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ofsted_registered": "yes", "ofsted_urn": "12AB"}, "Enter the URN as Ofsted shows it"),
        ({"ofsted_registered": "yes", "ofsted_urn": ""}, "Enter the Ofsted URN"),
        ({"name": ""}, "Enter the provider&#39;s name"),
        ({"age_from": "16", "age_to": "11"}, "The youngest age must not be above the oldest"),
        ({"contact_email": "not an email"}, "Enter an email address in the correct format"),
        ({"capacity": "-3"}, "Places (pupils at a time) must be between 0 and 1000"),
        ({"ofsted_inspection_date": ["31", "2", "2026"]}, "must be a real date"),
    ],
)
def test_bad_provider_details_are_refused(staff_client, overrides, message):
    _, client = staff_client
    response = client.post("/providers/new", data=provider_form(**overrides))
    assert response.status_code == 200
    assert message in response.data.decode()
    assert providers_named("Example Motor Project") == 0


def test_duplicate_urn_is_refused_naming_the_holder(staff_client):
    _, client = staff_client
    holder = factories.provider("Urn Holder Ltd")
    holder.ofsted_registered, holder.ofsted_urn = True, "2500123"
    db.session.commit()
    response = client.post(
        "/providers/new", data=provider_form(ofsted_registered="yes", ofsted_urn="2500123")
    )
    assert "URN 2500123 is already registered to Urn Holder Ltd" in response.data.decode()
    assert providers_named("Example Motor Project") == 0


def test_duplicate_name_is_refused(staff_client):
    _, client = staff_client
    factories.provider("Example Motor Project")
    db.session.commit()
    response = client.post("/providers/new", data=provider_form(name="example motor project"))
    assert "already on the register" in response.data.decode()


def test_status_changes_keep_their_reason_and_date(staff_client):
    _, client = staff_client
    provider = factories.provider()
    db.session.commit()
    refused = client.post(
        f"/providers/{provider.id}/status",
        data={"status": "suspended", "reason": "", "effective_on": ["1", "12", "2026"]},
    )
    assert refused.status_code == 400
    assert "Enter the reason for the change" in refused.data.decode()
    client.post(
        f"/providers/{provider.id}/status",
        data={
            "status": "suspended",
            "reason": "Safeguarding concern under investigation",
            "effective_on": ["1", "12", "2026"],
        },
    )
    db.session.refresh(provider)
    assert provider.status is ProviderStatus.SUSPENDED
    page = client.get(f"/providers/{provider.id}").data.decode()
    assert "Safeguarding concern under investigation" in page
    assert db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "provider_status_changed")
    ).one()


def test_staff_mark_a_provider_as_used_and_unused(staff_client):
    _, client = staff_client
    provider = factories.provider()
    db.session.commit()
    client.post(f"/providers/{provider.id}/usage/add")
    db.session.refresh(provider, ["partnerships"])
    assert [p.code for p in provider.partnerships] == ["SLIP"]
    client.post(f"/providers/{provider.id}/usage/remove")
    db.session.refresh(provider, ["partnerships"])
    assert provider.partnerships == []


def test_provider_user_edits_contact_details_only(login):
    provider = factories.provider("Own Provider Ltd")
    user = factories.user("provider", provider=provider)
    db.session.commit()
    client = login(user)
    page = client.get(f"/providers/{provider.id}/edit").data.decode()
    assert "Edit contact details" in page and 'name="name"' not in page
    client.post(
        f"/providers/{provider.id}/edit",
        data={
            "name": "Renamed By Provider",
            "contact_phone": "0116 496 0999",
            "dsl_name": "New Lead",
        },
    )
    db.session.refresh(provider)
    assert provider.name == "Own Provider Ltd"
    assert (provider.contact_phone, provider.dsl_name) == ("0116 496 0999", "New Lead")


def test_register_filters(login):
    boxing = factories.provider("Filter Boxing Gym")
    from qa_portal.providers.models import VocationalArea

    area = db.session.scalars(
        select(VocationalArea).where(VocationalArea.name == "Boxing and sport")
    ).one()
    boxing.vocational_areas.append(area)
    boxing.partnerships.append(factories.partnership("MSCIP"))
    cooking = factories.provider("Filter Cookery School")
    cooking.status = ProviderStatus.SUSPENDED
    db.session.commit()
    client = login(factories.user("officer"))
    page = client.get(f"/providers?area={area.id}").data.decode()
    assert boxing.name in page and cooking.name not in page
    page = client.get("/providers?partnership=MSCIP").data.decode()
    assert boxing.name in page and cooking.name not in page
    page = client.get("/providers?status=suspended&q=filter").data.decode()
    assert cooking.name in page and boxing.name not in page
