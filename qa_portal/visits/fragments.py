"""Parts of the checklist page that depend only on a criterion: its legend and guidance, and
its rating buttons with one level chosen or none. They are most of the page's markup, and the
page is opened for every area of every visit, so each is rendered once per application and
then reused (templates/visits/_criterion.html holds them; kept in `app.extensions`). Measured
in loops of test-client GETs of the demo's checklist, rendering them afresh each time costs
0.4 to 0.6 ms of a 4.4 to 4.6 ms page (CPU time, on a loaded machine): 8 to 14%.

A criterion is keyed by its whole outline, not its id: a draft framework's criterion that is
edited is a different key, so its page never shows the text it had before. While templates
reload as they change (development), nothing is kept."""

from __future__ import annotations

from functools import lru_cache

from flask import current_app
from markupsafe import Markup

from qa_portal.frameworks.outline import CriterionOutline

CACHED_FRAGMENTS = 4096  # about 600 for a 50-criterion version; at most ~10 MiB
EXTENSION = "criterion_fragments"


def legend(criterion: CriterionOutline, index: int) -> Markup:
    """The criterion's prompt, numbered `index` on its page, and the guidance for the visitor."""
    if current_app.jinja_env.auto_reload:
        return _macros().legend(criterion, index)
    return _kept().legend(criterion, index)


def ratings(criterion: CriterionOutline, chosen: str | None, disabled: bool) -> Markup:
    """A radio button per level of the criterion's scale, each with its descriptor; `chosen`
    is the value of the level checked, if any."""
    if current_app.jinja_env.auto_reload:
        return _macros().ratings(criterion, chosen, disabled)
    return _kept().ratings(criterion, chosen, disabled)


def _macros():
    return current_app.jinja_env.get_template("visits/_criterion.html").module


class _Kept:
    """One application's rendered fragments, the least recently used dropped first."""

    def __init__(self) -> None:
        self.legend = lru_cache(maxsize=CACHED_FRAGMENTS)(
            lambda criterion, index: _macros().legend(criterion, index)
        )
        self.ratings = lru_cache(maxsize=CACHED_FRAGMENTS)(
            lambda criterion, chosen, disabled: _macros().ratings(criterion, chosen, disabled)
        )


def _kept() -> _Kept:
    kept = current_app.extensions.get(EXTENSION)
    if kept is None:
        kept = current_app.extensions.setdefault(EXTENSION, _Kept())
    return kept
