"""The relationships that list pages show on every row are never loaded one row at a time: a
query that forgets to load them with its records fails here rather than asking once per row."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import joinedload

from qa_portal.accounts.models import WITH_AFFILIATION, User
from qa_portal.db import db
from qa_portal.providers.models import Provider
from qa_portal.visits.models import Visit
from tests import factories

RAISE_LOADED = [
    (Provider, "vocational_areas"),
    (Provider, "partnerships"),
    (Visit, "provider"),
    (Visit, "lead"),
    (User, "partnership"),
    (User, "school"),
    (User, "provider"),
]


@pytest.fixture
def records():
    """A staff member's visit to a provider, read afresh: nothing loaded but the rows."""
    lead = factories.user("staff")
    visit = factories.visit(lead)
    ids = {Provider: visit.provider_id, Visit: visit.id, User: lead.id}
    db.session.commit()
    db.session.expunge_all()
    return {model: db.session.get(model, key) for model, key in ids.items()}


@pytest.mark.parametrize(("model", "name"), RAISE_LOADED, ids=lambda v: getattr(v, "__name__", v))
def test_a_relationship_not_loaded_with_its_record_raises(records, model, name):
    with pytest.raises(InvalidRequestError, match=f"'{model.__name__}.{name}' is not available"):
        getattr(records[model], name)


def test_loaded_with_the_query_they_are_there():
    visit_id = factories.visit(factories.user("staff")).id
    db.session.commit()
    db.session.expunge_all()
    loaded = db.session.scalars(
        select(Visit)
        .where(Visit.id == visit_id)
        .options(
            joinedload(Visit.provider).selectinload(Provider.vocational_areas),
            joinedload(Visit.provider).selectinload(Provider.partnerships),
            joinedload(Visit.lead).options(*WITH_AFFILIATION),
        )
    ).one()
    assert loaded.provider.vocational_areas == [] and loaded.provider.partnerships == []
    assert loaded.lead.affiliation == str(factories.partnership("HBEP"))


def test_a_refused_status_change_shows_the_provider_page_again(login):
    """The refusal is rolled back, which forgets what the page had loaded: the page shows the
    provider's partnerships and the staff member's own again."""
    staff = factories.user("staff")
    provider = factories.provider("Already Approved Ltd")
    provider.partnerships.append(factories.partnership("HBEP"))
    db.session.commit()
    response = login(staff).post(
        f"/providers/{provider.id}/status",
        data={"status": "approved", "reason": "Checked", "effective_on": ["1", "12", "2026"]},
    )
    assert response.status_code == 400
    page = response.data.decode()
    assert "The provider is already approved" in page
    assert "Stop listing as used by HBEP" in page
