"""The checklist's rendered criterion fragments are kept per application, never shared."""

from __future__ import annotations

from qa_portal import create_app
from qa_portal.db import db
from qa_portal.frameworks.outline import outline
from qa_portal.visits import fragments
from tests import factories
from tests.conftest import TEST_CONFIG


def test_an_application_reuses_its_own_rendered_fragments_and_no_other_sees_them(app, login):
    lead = factories.user("staff")
    visit = factories.visit(lead)
    db.session.commit()
    page = login(lead).get(f"/visits/{visit.id}/checklist/2")
    assert page.status_code == 200
    criterion = outline(visit.framework).areas[1].criteria[0]
    kept = app.extensions[fragments.EXTENSION]
    assert kept.legend(criterion, 1) in page.data.decode()
    assert kept.legend.cache_info().hits >= 1
    other = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert fragments.EXTENSION not in other.extensions
    with other.app_context(), other.test_request_context():
        assert fragments.legend(criterion, 1) == kept.legend(criterion, 1)
    assert other.extensions[fragments.EXTENSION] is not kept
