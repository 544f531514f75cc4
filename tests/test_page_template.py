"""Every page is GOV.UK Frontend's page template with the Design System's components, less the
template's inline script (the Content-Security-Policy refuses inline scripts)."""

from __future__ import annotations

import pytest
from jinja2 import DictLoader, Environment, TemplateError

from qa_portal import web
from tests import factories


def test_a_signed_in_page_is_govuk_frontends_page_template(login):
    html = login(factories.user("staff")).get("/account").data.decode()
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="en-GB" class="govuk-template govuk-template--rebranded">' in html
    assert 'class="govuk-skip-link" data-module="govuk-skip-link">Skip to main content</a>' in html
    assert '<header class="govuk-template__header">' in html
    assert 'class="govuk-generic-header"' in html
    assert 'data-module="govuk-service-navigation"' in html
    assert 'aria-current="page"' in html  # "Your account", the current section
    assert '<footer class="govuk-template__footer">' in html
    assert 'href="/accessibility"' in html and 'href="/privacy"' in html
    assert "Open Government Licence" not in html
    assert html.count('id="main-content"') == 1
    assert "document.body.className" not in html
    assert '<script src="/static/js/enabled.js"></script>' in html


def test_a_page_for_nobody_signed_in_has_no_menu(client):
    html = client.get("/sign-in").data.decode()
    assert "govuk-service-navigation" not in html
    assert "data-sign-out" not in html
    assert '<footer class="govuk-template__footer">' in html


def test_the_menu_and_footer_follow_the_application_root(login):
    client = login(factories.user("officer"))
    assert 'href="/accessibility"' in client.get("/account").data.decode()
    html = client.get("/account", base_url="http://localhost/portal").data.decode()
    assert 'href="/portal/accessibility"' in html
    assert 'href="/portal/visits"' in html


def _loader(source: str) -> web.PageTemplateLoader:
    return web.PageTemplateLoader(DictLoader({web.PAGE_TEMPLATE: source}))


def test_the_page_templates_inline_script_is_taken_out():
    source = (
        "<body><script>document.body.className += ' js-enabled' + ('noModule' in "
        "HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');</script>{% block x %}"
        "{% endblock %}</body>"
    )
    html = (
        Environment(loader=_loader(source), autoescape=True)
        .get_template(web.PAGE_TEMPLATE)
        .render()
    )
    assert html == "<body></body>"


def test_a_changed_inline_script_stops_the_service_rather_than_break_the_policy():
    source = "<body><script>document.documentElement.className += ' js';</script></body>"
    with pytest.raises(TemplateError, match="inline script has changed"):
        Environment(loader=_loader(source), autoescape=True).get_template(web.PAGE_TEMPLATE)
