"""Area judgements proposed from a visit's ratings, by the documented rule."""

from __future__ import annotations

from qa_portal.frameworks.models import Rating
from qa_portal.visits.checklist import answers_by_criterion
from qa_portal.visits.models import Judgement, Visit


def propose(ratings: list[Rating | None]) -> Judgement | None:
    """The documented rule: any red or unmet compliance check makes the area red; otherwise
    any amber makes it amber; otherwise green if anything was rated; nothing rated, no proposal.
    "Not applicable" and "not seen" do not count."""
    given = set(ratings)
    if given & {Rating.RED, Rating.NOT_MET}:
        return Judgement.RED
    if Rating.AMBER in given:
        return Judgement.AMBER
    if given & {Rating.GREEN, Rating.MET}:
        return Judgement.GREEN
    return None


def proposals(visit: Visit) -> dict[int, Judgement | None]:
    answers = answers_by_criterion(visit)
    return {
        area.id: propose([answers[c.id].rating for c in area.criteria if c.id in answers])
        for area in visit.framework.areas
    }


def overall_proposal(judgements: list[Judgement | None]) -> Judgement | None:
    return propose([Rating(j.value) for j in judgements if j])
