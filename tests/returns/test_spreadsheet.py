"""The spreadsheet route: the template as XLSX and CSV, and an upload of either that imports
every row or nothing, naming each bad row and column."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from qa_portal import policy
from qa_portal.db import db
from qa_portal.returns import services, spreadsheet
from qa_portal.returns.models import ReturnStatus, ReturnVersion, TermlyReturn
from tests.conftest import count_queries
from tests.returns.conftest import AUTUMN, LAST_TERM, autumn, complete, placed

HEADINGS = [spreadsheet.HEADINGS[k] for k in spreadsheet.KEYS]


def _template_csv(client) -> list[dict]:
    response = client.get(f"/returns/template.csv?term={AUTUMN}")
    assert response.status_code == 200
    assert response.data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))


def _filled(rows: list[dict], **changes) -> list[dict]:
    for row in rows:
        row.update(
            {
                "Sessions possible": "120",
                "Sessions attended": "100",
                "Authorised absence (sessions)": "10",
                "Unauthorised absence (sessions)": "10",
                "Behaviour": "Good",
                "Accreditation status": "Not started",
                "Wellbeing": "Fine",
            }
        )
        for n in (1, 2):
            row[f"Target {n} progress"] = "On track"
        row.update(changes)
    return rows


def _csv(rows: list[dict], headings=HEADINGS) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=headings, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _upload(client, data: bytes, name="returns.csv", term=AUTUMN):
    return client.post(
        f"/returns/upload?term={term}",
        data={"spreadsheet": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(TermlyReturn))


def test_the_csv_template_lists_the_pupils_due_with_their_targets(login, world):
    services.save_return(
        world.provider_user,
        world.placements[0],
        autumn(),
        complete(world.placements[0]),
        submit=True,
    )
    db.session.commit()
    rows = _template_csv(login(world.provider_user))
    ids = {int(r["Placement ID"]) for r in rows}
    assert ids == {p.id for p in world.placements[1:]} | {world.lip_placement.id}
    row = next(r for r in rows if int(r["Placement ID"]) == world.placements[1].id)
    assert row["Term"] == AUTUMN
    assert row["Pupil"] == world.placements[1].pupil.name
    assert row["Target 1"].endswith("Target number 1")
    assert row["Placement start (YYYY-MM-DD)"] == "2026-09-07"


def test_the_xlsx_template_has_drop_downs_a_locked_header_and_hidden_ids(login, world):
    response = login(world.provider_user).get(f"/returns/template.xlsx?term={AUTUMN}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    assert [c.value for c in sheet[1]] == HEADINGS
    assert sheet.protection.sheet
    assert all(c.protection.locked for c in sheet[1])
    column = {h: i + 1 for i, h in enumerate(HEADINGS)}
    assert not sheet.cell(2, column["Sessions attended"]).protection.locked
    assert sheet.cell(2, column["Pupil"]).protection.locked
    assert sheet.column_dimensions["A"].hidden and sheet.column_dimensions["B"].hidden
    lists = {dv.formula1 for dv in sheet.data_validations.dataValidation}
    assert '"Excellent,Good,Some concerns,Serious concerns"' in lists
    assert '"On track,Some progress,No progress"' in lists
    assert '"Not started,Working towards,Achieved"' in lists


def test_a_filled_csv_submits_every_row_and_again_changes_nothing(login, world):
    client = login(world.provider_user)
    data = _csv(_filled(_template_csv(client)))
    response = _upload(client, data)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _count() == 4
    assert {r.status for r in db.session.scalars(select(TermlyReturn))} == {ReturnStatus.SUBMITTED}
    versions = db.session.scalar(select(func.count()).select_from(ReturnVersion))
    stamps = sorted(r.updated_at for r in db.session.scalars(select(TermlyReturn)))
    assert _upload(client, data).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(ReturnVersion)) == versions
    assert sorted(r.updated_at for r in db.session.scalars(select(TermlyReturn))) == stamps


def test_a_filled_xlsx_submits_every_row(login, world):
    client = login(world.provider_user)
    book = load_workbook(io.BytesIO(client.get("/returns/template.xlsx").data))
    sheet = book.worksheets[0]
    column = {h: i + 1 for i, h in enumerate(HEADINGS)}
    for row in range(2, sheet.max_row + 1):
        for heading, value in _filled([{}])[0].items():
            sheet.cell(row, column[heading], int(value) if value.isdigit() else value)
    out = io.BytesIO()
    book.save(out)
    response = _upload(client, out.getvalue(), "returns.xlsx")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _count() == 4


def _refused(client, data: bytes, name="returns.csv", term=AUTUMN) -> str:
    response = _upload(client, data, name, term)
    assert response.status_code == 400
    assert _count() == 0, "nothing imports when one row is bad"
    return response.get_data(as_text=True)


def test_one_bad_row_imports_nothing_and_names_the_row_and_column(login, world):
    client = login(world.provider_user)
    rows = _filled(_template_csv(client))
    rows[2]["Sessions attended"] = "130"
    page = _refused(client, _csv(rows))
    assert "Row 4, Sessions attended: Sessions attended (130) cannot be more than" in page
    assert "govuk-error-summary" in page


def test_every_bad_row_is_listed(login, world):
    client = login(world.provider_user)
    rows = _filled(_template_csv(client))
    rows[0]["Behaviour"] = "Fine"
    rows[1]["Target 1 progress"] = ""
    page = _refused(client, _csv(rows))
    assert "Row 2, Behaviour: choose one of: Excellent" in page
    assert "Row 3, Target 1 progress: Choose the progress against target 1" in page


@pytest.mark.parametrize(
    ("headings", "message"),
    [
        (HEADINGS[:-1], "no column “General comments”"),
        ([*HEADINGS, "Shoe size"], "The column “Shoe size” is not in the template"),
    ],
)
def test_a_missing_or_extra_column_is_refused(login, world, headings, message):
    client = login(world.provider_user)
    rows = _filled(_template_csv(client))
    assert message in _refused(client, _csv(rows, headings))


def test_a_pupil_not_placed_with_the_provider_is_refused(login, world):
    client = login(world.provider_user)
    rows = _filled(_template_csv(client))
    other = world.other_placement
    rows[0].update({"Placement ID": str(other.id), "Pupil": other.pupil.name})
    page = _refused(client, _csv(rows))
    assert "Row 2, Placement ID: this is not a pupil placed with you this term" in page


def test_ids_swapped_between_two_rows_are_refused(login, world):
    client = login(world.provider_user)
    rows = _filled(_template_csv(client))
    rows[0]["Placement ID"], rows[1]["Placement ID"] = (
        rows[1]["Placement ID"],
        rows[0]["Placement ID"],
    )
    page = _refused(client, _csv(rows))
    assert "Row 2, Pupil: the pupil does not match this row" in page


def test_a_duplicated_row_is_refused(login, world):
    client = login(world.provider_user)
    rows = _filled(_template_csv(client))
    page = _refused(client, _csv([*rows, rows[0]]))
    assert "Row 6: the same pupil as row 2" in page


def test_another_terms_template_is_refused(login, world):
    client = login(world.provider_user)
    rows = _filled(_template_csv(client))
    for row in rows:
        row["Term"] = LAST_TERM
    assert "this row is for Summer 2026, not Autumn 2026" in _refused(client, _csv(rows))


@pytest.mark.parametrize("changed", ["01/09/2026", "2026-09-07 00:00:00", "7 Sep 2026"])
def test_dates_a_spreadsheet_program_changed_are_refused(login, world, changed):
    client = login(world.provider_user)
    rows = _filled(_template_csv(client))
    rows[0]["Placement start (YYYY-MM-DD)"] = changed
    page = _refused(client, _csv(rows))
    assert "Row 2, Placement start (YYYY-MM-DD)" in page
    assert "is not a date written as YYYY-MM-DD" in page


def test_a_utf8_byte_order_mark_is_accepted_and_other_encodings_refused(login, world):
    client = login(world.provider_user)
    rows = _filled(_template_csv(client), Wellbeing="Calmer — and happier")
    text = _csv(rows).decode("utf-8")
    assert "not UTF-8" in _refused(client, text.encode("cp1252"))
    assert "UTF-16" in _refused(client, text.encode("utf-16"))
    assert _upload(client, b"\xef\xbb\xbf" + text.encode("utf-8")).status_code == 302
    assert _count() == 4


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The selected file is empty"),
        (b"\n\n", "The selected file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is not a spreadsheet"),
        (b"PK\x03\x04not really a zip", "is not a spreadsheet"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old Excel (.xls)"),
    ],
)
def test_files_that_are_not_a_template_are_refused(login, world, data, message):
    client = login(world.provider_user)
    assert message in _refused(client, data)


def test_no_file_is_refused(login, world):
    response = login(world.provider_user).post("/returns/upload", data={})
    assert response.status_code == 400
    assert "Choose the spreadsheet to upload" in response.get_data(as_text=True)


def test_a_header_with_no_pupils_is_refused(login, world):
    client = login(world.provider_user)
    assert "no pupils in it" in _refused(client, _csv([]))


def test_a_huge_file_is_refused(login, world):
    client = login(world.provider_user)
    response = _upload(client, b"x" * (50 * 1024 * 1024))
    assert response.status_code == 413
    assert _count() == 0
    with pytest.raises(spreadsheet.UploadRefused, match="smaller than 5 MB"):
        spreadsheet.read_table(b"x" * (6 * 1024 * 1024), 5 * 1024 * 1024)


def test_an_accepted_return_in_the_file_changes_nothing_or_is_refused(login, world):
    client = login(world.provider_user)
    rows = _filled(_template_csv(client))
    assert _upload(client, _csv(rows)).status_code == 302
    ret = services.find(world.placements[0], autumn())
    services.review_return(world.staff, ret, accept=True, comment="")
    db.session.commit()
    assert _upload(client, _csv(rows)).status_code == 302
    rows[0]["Wellbeing"] = "Changed after acceptance"
    response = _upload(client, _csv(rows))
    assert response.status_code == 400
    assert "Row 2: this return has been accepted" in response.get_data(as_text=True)


def test_blank_rows_are_left_as_they_are(login, world):
    client = login(world.provider_user)
    rows = _template_csv(client)
    _filled(rows[:1])
    assert _upload(client, _csv(rows)).status_code == 302
    assert _count() == 1


def _rows_for(world, n: int) -> bytes:
    for _ in range(n):
        placed(world.provider)
    db.session.commit()
    placements = policy.placements_for(world.provider_user)
    rows = spreadsheet.template_rows(placements, autumn())
    text = spreadsheet.build_csv(rows, autumn()).decode("utf-8-sig")
    return _csv(_filled(list(csv.DictReader(io.StringIO(text)))))


def test_an_import_takes_the_same_queries_at_any_size(app, world):
    def measure(data: bytes) -> int:
        with app.test_request_context(), count_queries() as statements:
            spreadsheet.import_upload(
                world.provider_user,
                policy.placements_for(world.provider_user),
                autumn(),
                data,
                max_bytes=10**7,
            )
            db.session.rollback()
        return len(statements)

    small = measure(_rows_for(world, 0))
    assert measure(_rows_for(world, 20)) == small
