"""Pages ask policy (`policy_can`) what to show; no template compares roles."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

# Jinja tags and expressions only: the pages' own words may speak of roles.
JINJA = re.compile(r"{%.*?%}|{{.*?}}", re.DOTALL)
ROLE_NAMES = r"(?:admin|officer|staff|head|provider)"
ROLE_COMPARISON = re.compile(
    r"\brole(?:\.value|\.name|\.label)?(?:\s*\|\s*\w+)*\s*(?:==|!=|\bis\b|\bin\b|\bnot\s+in\b)"
    rf"|['\"]{ROLE_NAMES}['\"]\s*(?:==|!=|\bin\b|\bnot\s+in\b)"
    rf"|\bis_{ROLE_NAMES}\b"
    r"|\bRole\.[A-Z]"
)


def role_comparisons(source: str) -> list[str]:
    """The Jinja tags or expressions of a template that compare someone's role."""
    return [tag for tag in JINJA.findall(source) if ROLE_COMPARISON.search(tag)]


def test_no_template_compares_roles():
    found = {
        str(path.relative_to(TEMPLATES)): role_comparisons(path.read_text())
        for path in sorted(TEMPLATES.rglob("*.html"))
    }
    assert {path: tags for path, tags in found.items() if tags} == {}, (
        "ask policy_can(current_user, action, record) and add the rule to policy.py"
    )


@pytest.mark.parametrize(
    "planted",
    [
        '{% if current_user.role.value == "admin" %}',
        "{% if current_user.role.value in ('admin', 'staff') %}",
        '{% if current_user.role.value not in ("admin", "officer") %}',
        '{% if current_user.role.value != "head" %}',
        "{% if current_user.role is sameas Role.ADMIN %}",
        "{% if user.role == Role.STAFF %}",
        "{% if current_user.role.value | lower == 'provider' %}",
        '{% if "admin" == current_user.role.value %}',
        "{% if current_user.is_admin %}",
        '{{ "Edit" if current_user.role.value == "admin" }}',
        '{% if visit.status.value == "signed_off" and (current_user.id == visit.lead_id\n'
        '   or current_user.role.value == "admin") %}',
    ],
)
def test_a_planted_role_comparison_is_found(planted):
    assert role_comparisons(f"<p>Before</p>\n{planted}<a>Edit</a>{{% endif %}}") != []


@pytest.mark.parametrize(
    "fine",
    [
        "{{ current_user.role.label }}",
        '<h1 data-home="{{ current_user.role.value }}">',
        '{% if policy_can(current_user, "publish", visit) %}',
        "{% block role_content %}{% endblock %}",
        "{{ o.author_role.label | lower }}",
        '{{ govukNotificationBanner({"role": "alert" if category == "error" else None}) }}',
        "<p>Your role is shown on your account page. Each role sees what it needs.</p>",
    ],
)
def test_showing_a_role_is_not_comparing_it(fine):
    assert role_comparisons(fine) == []
