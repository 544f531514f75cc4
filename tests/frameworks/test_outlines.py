"""Published framework outlines are kept per application, never shared between two."""

from __future__ import annotations

from qa_portal import create_app
from qa_portal.frameworks import outline
from qa_portal.frameworks.services import current_framework
from tests.conftest import TEST_CONFIG


def test_each_application_keeps_the_outlines_it_read_and_no_other_sees_them(app):
    framework = current_framework()
    kept = outline.outline(framework)
    assert outline.published(framework.id) is kept
    other = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with other.app_context():
        assert outline.published(framework.id) is None  # another database's id 1 is not ours
    assert outline.published(framework.id) is kept


def test_forgetting_drops_only_the_current_applications_outlines(app):
    framework = current_framework()
    outline.outline(framework)
    other = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with other.app_context():
        outline.forget()
    assert outline.published(framework.id) is not None
    outline.forget()
    assert outline.published(framework.id) is None
