"""The versioned QA framework: the shipped version, drafting, editing and publishing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from qa_portal.db import db
from qa_portal.frameworks import services
from qa_portal.frameworks.models import CriterionKind, Framework, FrameworkStatus
from tests import factories

AREAS = [
    "Safeguarding",
    "Health and safety and premises",
    "Insurances",
    "Ofsted registration and compliance",
    "Pastoral care and behaviour",
    "Teaching, learning and assessment",
    "Sustainability, leadership and capacity",
]


def published() -> Framework:
    return services.current_framework()


def test_shipped_framework_has_every_area_with_four_to_eight_sourced_criteria():
    framework = published()
    assert framework.status is FrameworkStatus.PUBLISHED
    assert [a.name for a in framework.areas] == AREAS
    for area in framework.areas:
        assert 4 <= len(area.criteria) <= 8, area.name
        for criterion in area.criteria:
            assert criterion.source and criterion.descriptor_green and criterion.descriptor_red
            if criterion.kind is CriterionKind.RATING:
                assert criterion.descriptor_amber
    kinds = {c.kind for c in framework.areas[0].criteria}
    assert kinds == {CriterionKind.RATING, CriterionKind.COMPLIANCE}


def test_loading_the_default_again_changes_nothing():
    assert services.load_default_framework() is None


def test_a_published_version_cannot_be_edited():
    admin = factories.user("admin")
    criterion = published().areas[0].criteria[0]
    with pytest.raises(services.FrameworkError, match="cannot be changed"):
        services.update_criterion(
            admin,
            criterion,
            {
                "kind": "rating",
                "prompt": "Changed",
                "guidance": "",
                "descriptor_green": "g",
                "descriptor_amber": "a",
                "descriptor_red": "r",
                "evidence_required": False,
                "source": "s",
            },
        )


def test_draft_edit_and_publish_leave_the_old_version_untouched(login):
    admin = factories.user("admin")
    db.session.commit()
    client = login(admin)
    old = published()
    old_prompt = old.areas[0].criteria[0].prompt
    response = client.post(f"/frameworks/{old.id}/draft")
    draft = db.session.scalars(
        select(Framework).where(Framework.status == FrameworkStatus.DRAFT)
    ).one()
    assert response.headers["Location"].endswith(f"/frameworks/{draft.id}")
    criterion = draft.areas[0].criteria[0]
    response = client.post(
        f"/frameworks/{draft.id}/criteria/{criterion.id}",
        data={
            "kind": "compliance",
            "prompt": "A named DSL is on site every day",
            "guidance": "Ask.",
            "descriptor_green": "Yes",
            "descriptor_amber": "ignored",
            "descriptor_red": "No",
            "source": "KCSIE 2026",
        },
    )
    assert response.status_code == 302
    assert client.post(f"/frameworks/{draft.id}/publish").status_code == 302
    db.session.expire_all()
    assert published().id == draft.id and published().version == old.version + 1
    assert db.session.get(Framework, old.id).areas[0].criteria[0].prompt == old_prompt
    assert draft.areas[0].criteria[0].descriptor_amber == ""
    edit = client.get(f"/frameworks/{draft.id}/criteria/{criterion.id}")
    assert edit.status_code == 403, "published: no more edits"


def test_only_one_draft_at_a_time(login):
    admin = factories.user("admin")
    db.session.commit()
    client = login(admin)
    framework = published()
    client.post(f"/frameworks/{framework.id}/draft")
    response = client.post(f"/frameworks/{framework.id}/draft", follow_redirects=True)
    assert "is already being drafted" in response.data.decode()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"prompt": ""}, "Enter what the visitor checks"),
        ({"descriptor_amber": ""}, "Describe what amber looks like"),
        ({"source": ""}, "Name the clause or guidance"),
    ],
)
def test_bad_criteria_are_refused(login, overrides, message):
    admin = factories.user("admin")
    draft = services.new_draft(admin, published())
    db.session.commit()
    area = draft.areas[1]
    before = len(area.criteria)
    data = {
        "kind": "rating",
        "prompt": "New check",
        "guidance": "",
        "descriptor_green": "g",
        "descriptor_amber": "a",
        "descriptor_red": "r",
        "source": "Clause 12",
    }
    data.update(overrides)
    response = login(admin).post(f"/frameworks/{draft.id}/areas/{area.id}/criteria/new", data=data)
    assert message in response.data.decode()
    db.session.expire_all()
    assert len(area.criteria) == before


def test_drafts_are_for_admins_only(login):
    admin = factories.user("admin")
    draft = services.new_draft(admin, published())
    db.session.commit()
    staff = login(factories.user("staff"))
    assert staff.get(f"/frameworks/{draft.id}").status_code == 404
    assert staff.get(f"/frameworks/{published().id}").status_code == 200
