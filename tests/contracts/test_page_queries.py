"""The contract pages ask the database the same number of questions at 3 contracts and at 30."""

from __future__ import annotations

from datetime import timedelta

import pytest

from qa_portal.db import db
from tests import factories
from tests.contracts.conftest import TODAY, used_provider
from tests.providers.test_page_queries import queries_for


def grow(count: int, provider, school) -> None:
    """`count` more contracts of HBEP (some commissioned by `school`), each with its own
    provider, and as many of LIP, in every state."""
    for n in range(count):
        for code in ("HBEP", "LIP"):
            factories.contract(
                used_provider(code) if n % 3 else provider,
                code,
                school if code == "HBEP" and n % 2 else None,
                start=TODAY - timedelta(days=200 - n * 7),
                end=TODAY + timedelta(days=n * 5 - 20),
            )
    db.session.commit()


ROLES = ("admin", "officer", "staff", "head", "provider")


@pytest.mark.parametrize("role", ROLES)
def test_the_register_asks_the_same_questions_at_any_size(login, role):
    provider = used_provider()
    school = factories.school("HBEP", 0)
    fields = {"provider": provider} if role == "provider" else {}
    client = login(factories.user(role, **fields))
    grow(3, provider, school)
    small = {
        path: queries_for(client, path)
        for path in (
            "/contracts",
            "/contracts?status=ending",
            f"/contracts?provider={provider.id}&q=con",
        )
    }
    grow(27, provider, school)
    print(f"/contracts {role}: {small} queries at 3 contracts")
    assert {path: queries_for(client, path) for path in small} == small
    assert max(small.values()) <= 8


@pytest.mark.parametrize("role", ("staff", "provider"))
def test_the_providers_page_asks_the_same_questions_at_any_size(login, role):
    provider = used_provider()
    school = factories.school("HBEP", 0)
    fields = {"provider": provider} if role == "provider" else {}
    client = login(factories.user(role, **fields))
    grow(3, provider, school)
    small = queries_for(client, f"/providers/{provider.id}")
    grow(27, provider, school)
    assert queries_for(client, f"/providers/{provider.id}") == small
