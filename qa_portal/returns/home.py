"""What termly returns add to the home page: the provider's "7 of 9 done" with the pupils still
due, and for partnership staff the returns not yet sent in, per provider."""

from __future__ import annotations

from flask import url_for

from qa_portal import policy, terms
from qa_portal.accounts.models import Role, User
from qa_portal.returns import services

PROVIDERS_LISTED = 10  # the home page never grows with the register


def provider_summary(user: User) -> dict | None:
    if user.role is not Role.PROVIDER:
        return None
    return services.provider_summary(policy.placements_for(user), terms.current_term())


def needs(user: User) -> list[tuple[str, str, int]]:
    """(what, link, count) for each provider with returns not yet sent in for this term, most
    first, for those who review returns; each links to the list filtered to that provider."""
    if user.role not in (Role.ADMIN, Role.STAFF):
        return []
    term = terms.current_term()
    key = services.key_of(term)
    rows = services.missing_by_provider(policy.placements_for(user), term, PROVIDERS_LISTED)
    return [
        (
            f"return|returns for {term.label} not yet sent in by {name}",
            url_for("returns.index", term=key, provider=provider_id, status=services.MISSING),
            count,
        )
        for provider_id, name, count in rows
    ]
