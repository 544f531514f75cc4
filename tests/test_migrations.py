"""The migration chain upgrades and downgrades cleanly, and matches the models."""

from __future__ import annotations

import os

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from qa_portal import create_app
from qa_portal.db import db
from tests.conftest import ROOT, TEST_CONFIG

MIGRATIONS = str(ROOT / "migrations")


@pytest.fixture
def migration_app(tmp_path):
    url = os.environ.get("TEST_MIGRATIONS_DATABASE_URL") or f"sqlite:///{tmp_path}/m.db"
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        yield app
        db.engine.dispose()


def tables() -> set[str]:
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_upgrade_downgrade_upgrade(migration_app):
    flask_migrate.upgrade(directory=MIGRATIONS)
    assert {"users", "partnerships", "schools", "audit_events"} <= tables()
    flask_migrate.downgrade(directory=MIGRATIONS, revision="base")
    assert tables() == set()
    flask_migrate.upgrade(directory=MIGRATIONS)
    assert set(db.metadata.tables) == tables()


def test_models_and_migrations_agree(migration_app):
    flask_migrate.upgrade(directory=MIGRATIONS)
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], "a model changed without a migration: run `flask db migrate`"
