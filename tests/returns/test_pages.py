"""The pages of termly returns: the provider's count and form, the staff's list and review,
who reaches which return, and the list's queries at any size."""

from __future__ import annotations

import re

from sqlalchemy import select

from qa_portal.db import db
from qa_portal.returns import services
from qa_portal.returns.models import ReturnStatus, TermlyReturn
from tests.conftest import count_queries
from tests.returns.conftest import AUTUMN, autumn, complete, placed


def _form(placement, **changes) -> dict:
    data = {
        "sessions_possible": "120",
        "sessions_attended": "100",
        "sessions_authorised": "12",
        "sessions_unauthorised": "8",
        "behaviour": "good",
        "behaviour_comment": "Settled",
        "qualification": "BTEC Award",
        "level": "Level 1",
        "accreditation_status": "working_towards",
        "wellbeing": "Well",
        "pupil_voice": "I like it",
        "comments": "",
        "submit": "Submit return",
    }
    for target in placement.targets:
        data[f"progress_{target.id}"] = "on_track"
        data[f"comment_{target.id}"] = ""
    data.update(changes)
    return data


def _url(placement, term=AUTUMN) -> str:
    return f"/placements/{placement.id}/returns/{term}"


def _return(placement) -> TermlyReturn | None:
    db.session.expire_all()
    return services.find(placement, autumn())


def _submitted(world, placement):
    ret, _ = services.save_return(
        world.provider_user, placement, autumn(), complete(placement), submit=True
    )
    db.session.commit()
    return ret


def test_the_provider_home_page_counts_the_terms_returns(login, world):
    _submitted(world, world.placements[0])
    page = login(world.provider_user).get("/").get_data(as_text=True)
    assert "Autumn 2026: 1 of 4 done" in page
    for placement in world.placements[1:]:
        assert placement.pupil.name in page
        assert _url(placement) in page
    assert world.placements[0].pupil.name not in page
    assert world.other_placement.pupil.name not in page


def test_the_provider_saves_a_draft_then_submits(login, world):
    client = login(world.provider_user)
    placement = world.placements[0]
    assert client.get(_url(placement)).status_code == 200
    draft = {"wellbeing": "Early days", "save_draft": "Save as draft"}
    response = client.post(_url(placement), data=draft)
    assert response.status_code == 302
    assert _return(placement).status is ReturnStatus.DRAFT
    page = client.get(_url(placement)).get_data(as_text=True)
    assert "Early days" in page
    response = client.post(_url(placement), data=_form(placement))
    assert response.status_code == 302
    ret = _return(placement)
    assert ret.status is ReturnStatus.SUBMITTED
    assert ret.sessions_attended == 100 and ret.version == 2


def test_a_retried_submit_by_the_form_is_stored_once(login, world):
    client = login(world.provider_user)
    placement = world.placements[0]
    for _ in range(2):
        assert client.post(_url(placement), data=_form(placement)).status_code == 302
    assert _return(placement).version == 1


def test_every_broken_rule_shows_next_to_its_field(login, world):
    client = login(world.provider_user)
    placement = world.placements[0]
    response = client.post(
        _url(placement), data=_form(placement, sessions_attended="130", behaviour="")
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "cannot be more than the sessions possible" in page
    assert "Choose how the pupil&#39;s behaviour has been" in page
    assert _return(placement) is None


def test_a_swapped_target_id_in_the_form_is_ignored(login, world):
    client = login(world.provider_user)
    placement, other = world.placements[0], world.other_placement
    form = _form(placement, **{f"progress_{other.targets[0].id}": "none"})
    assert client.post(_url(placement), data=form).status_code == 302
    ret = _return(placement)
    assert {p.target_id for p in ret.progress} == {t.id for t in placement.targets}


def test_a_provider_reaches_only_its_own_placements_returns(login, world):
    client = login(world.provider_user)
    other = world.other_placement
    assert client.get(_url(other)).status_code == 404
    assert client.post(_url(other), data=_form(other)).status_code == 404
    assert _return(other) is None
    theirs = _submitted_by(world.other_provider_user, other)
    assert client.get(f"/returns/{theirs.id}").status_code == 404
    assert other.pupil.name not in client.get("/returns").get_data(as_text=True)


def _submitted_by(user, placement):
    ret, _ = services.save_return(user, placement, autumn(), complete(placement), submit=True)
    db.session.commit()
    return ret


def test_a_placement_not_running_in_the_term_has_no_return(login, world):
    client = login(world.provider_user)
    assert client.get(_url(world.placements[0], "2025-summer")).status_code == 404
    assert client.get(_url(world.placements[0], "2026-winter")).status_code == 404


def test_the_key_worker_accepts_or_asks_for_a_change(login, world):
    first, second = (_submitted(world, p) for p in world.placements[:2])
    client = login(world.staff)
    page = client.get(f"/returns/{first.id}").get_data(as_text=True)
    assert "Accept the return" in page and "History" in page
    assert client.post(f"/returns/{first.id}/review", data={"accept": "y"}).status_code == 302
    response = client.post(
        f"/returns/{second.id}/review", data={"request_changes": "y", "comment": "Add a target"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(TermlyReturn, first.id).status is ReturnStatus.ACCEPTED
    assert db.session.get(TermlyReturn, second.id).status is ReturnStatus.CHANGES_REQUESTED
    provider = login(world.provider_user)
    form = provider.get(_url(world.placements[1])).get_data(as_text=True)
    assert "Add a target" in form
    assert provider.get(_url(world.placements[0])).status_code == 302  # accepted: read only


def test_asking_for_a_change_without_a_comment_is_refused(login, world):
    ret = _submitted(world, world.placements[0])
    response = login(world.staff).post(f"/returns/{ret.id}/review", data={"request_changes": "y"})
    assert response.status_code == 400
    assert "Say what the provider should change" in response.get_data(as_text=True)


def test_only_the_pupils_partnership_reviews(login, world):
    ret = _submitted(world, world.placements[0])
    lip = login(world.lip_staff)
    assert lip.get(f"/returns/{ret.id}").status_code == 404
    assert lip.post(f"/returns/{ret.id}/review", data={"accept": "y"}).status_code == 404
    head = login(world.head)
    assert head.get(f"/returns/{ret.id}").status_code == 200
    assert head.post(f"/returns/{ret.id}/review", data={"accept": "y"}).status_code == 403
    assert login(world.officer).get(f"/returns/{ret.id}").status_code == 403
    assert login(world.officer).get("/returns").status_code == 403


def test_a_head_reads_only_their_schools_pupils(login, world):
    page = login(world.head).get("/returns").get_data(as_text=True)
    assert world.placements[0].pupil.name in page
    assert world.lip_placement.pupil.name not in page


def test_the_list_filters_by_status_and_provider(login, world):
    _submitted(world, world.placements[0])
    client = login(world.staff)
    page = client.get(f"/returns?term={AUTUMN}&status=submitted").get_data(as_text=True)
    assert world.placements[0].pupil.name in page
    assert world.placements[1].pupil.name not in page
    page = client.get(f"/returns?status=missing&provider={world.provider.id}").get_data(
        as_text=True
    )
    assert world.placements[1].pupil.name in page
    assert world.placements[0].pupil.name not in page
    assert world.other_placement.pupil.name in client.get("/returns").get_data(as_text=True)
    assert client.get("/returns?status=nonsense").status_code == 400


def test_the_staff_home_page_counts_missing_returns_per_provider(login, world):
    page = login(world.staff).get("/").get_data(as_text=True)
    match = re.search(
        r'href="([^"]+)"><span class="portal-needs__count">(\d+)</span>returns for Autumn 2026 '
        r"not yet sent in by " + re.escape(world.provider.name),
        page,
    )
    assert match and match.group(2) == "3"  # HBEP's three: the LIP pupil is not theirs
    assert f"provider={world.provider.id}" in match.group(1).replace("&amp;", "&")


def test_viewing_a_return_is_audited(login, world):
    from qa_portal.audit import AuditEvent

    ret = _submitted(world, world.placements[0])
    login(world.staff).get(f"/returns/{ret.id}")
    viewed = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "return_viewed")
    ).one()
    assert viewed.pupil_id == world.placements[0].pupil_id


def test_the_list_takes_the_same_queries_at_any_size(login, world):
    client = login(world.staff)
    client.get("/returns")

    def measure():
        with count_queries() as statements:
            assert client.get("/returns").status_code == 200
        return len(statements)

    small = measure()
    for n, placement in enumerate([placed(world.provider) for _ in range(12)]):
        if n % 2:
            _submitted(world, placement)
    db.session.commit()
    assert measure() == small


def test_the_provider_home_page_takes_the_same_queries_at_any_size(login, world):
    client = login(world.provider_user)
    client.get("/")

    def measure():
        with count_queries() as statements:
            assert client.get("/").status_code == 200
        return len(statements)

    small = measure()
    for placement in [placed(world.provider) for _ in range(12)]:
        _submitted(world, placement)
    db.session.commit()
    assert measure() == small


def test_a_return_sent_in_shows_on_the_pupils_timeline(login, world):
    ret = _submitted(world, world.placements[0])
    page = login(world.staff).get(f"/pupils/{world.placements[0].pupil_id}").get_data(as_text=True)
    assert "Termly return" in page
    assert f"/returns/{ret.id}" in page
