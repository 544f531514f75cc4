"""What the contract tests share: a fixed today, a provider HBEP uses, the add form's data."""

from __future__ import annotations

from datetime import date

import pytest

from tests import factories

TODAY = date(2027, 3, 15)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr("qa_portal.clock.today", lambda: TODAY)
    return TODAY


def used_provider(code: str = "HBEP", name: str | None = None):
    """A provider on the register that the partnership `code` uses."""
    provider = factories.provider(name)
    provider.partnerships.append(factories.partnership(code))
    return provider


def parts(day: date) -> list[str]:
    return [str(day.day), str(day.month), str(day.year)]


def contract_form(provider, **over) -> dict:
    form = {
        "provider_id": str(provider.id),
        "school_id": "0",
        "reference": "HBEP-2027-001",
        "start_date": parts(date(2027, 4, 1)),
        "end_date": parts(date(2028, 3, 31)),
        "value": "£12,500.50",
        "rate_amount": "95",
        "rate_unit": "day",
        "terms": "Three days a week, invoiced monthly",
    }
    form.update(over)
    return form
