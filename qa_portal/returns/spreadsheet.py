"""The termly returns spreadsheet: the term's template for a provider, pre-filled with its pupils
due and their targets, as XLSX (drop-down lists, a locked header) or CSV; reading an upload of
either, checking every row, and importing all of it or nothing."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import Select, delete, insert, select, update
from sqlalchemy.orm import joinedload, selectinload

from qa_portal import audit, inputs
from qa_portal.accounts.models import User
from qa_portal.audit import AuditEvent
from qa_portal.db import db, utcnow
from qa_portal.placements.models import Placement, Progress
from qa_portal.placements.services import MAX_TARGETS
from qa_portal.pupils.models import Pupil
from qa_portal.returns import services
from qa_portal.returns.models import (
    AccreditationStatus,
    Behaviour,
    ReturnProgress,
    ReturnStatus,
    ReturnVersion,
    TermlyReturn,
)
from qa_portal.rules import RuleBroken
from qa_portal.storage import UploadRefused
from qa_portal.terms import Term

MAX_ROWS = 2000  # far more pupils than one provider has in a term
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# (key, heading): the template's columns, in order. The first two identify the return and are
# hidden in the XLSX; pupil to target descriptions are there to read, checked, not imported.
COLUMNS: list[tuple[str, str]] = [
    ("placement_id", "Placement ID"),
    ("term", "Term"),
    ("pupil", "Pupil"),
    ("year_group", "Year group"),
    ("placement_start", "Placement start (YYYY-MM-DD)"),
    ("sessions_possible", "Sessions possible"),
    ("sessions_attended", "Sessions attended"),
    ("sessions_authorised", "Authorised absence (sessions)"),
    ("sessions_unauthorised", "Unauthorised absence (sessions)"),
    ("behaviour", "Behaviour"),
    ("behaviour_comment", "Behaviour comment"),
]
for _n in range(1, MAX_TARGETS + 1):
    COLUMNS += [
        (f"target_{_n}", f"Target {_n}"),
        (f"target_{_n}_progress", f"Target {_n} progress"),
        (f"target_{_n}_comment", f"Target {_n} comment"),
    ]
COLUMNS += [
    ("qualification", "Qualification"),
    ("level", "Level"),
    ("accreditation_status", "Accreditation status"),
    ("wellbeing", "Wellbeing"),
    ("pupil_voice", "Pupil voice"),
    ("comments", "General comments"),
]
HEADINGS = {key: heading for key, heading in COLUMNS}
KEYS = [key for key, _ in COLUMNS]
READ_ONLY = {"placement_id", "term", "pupil", "year_group", "placement_start"} | {
    f"target_{n}" for n in range(1, MAX_TARGETS + 1)
}
HIDDEN = ("placement_id", "term")
CHOICES = {
    "behaviour": Behaviour,
    "accreditation_status": AccreditationStatus,
} | {f"target_{n}_progress": Progress for n in range(1, MAX_TARGETS + 1)}
ACCEPTED = "this return has been accepted: it can no longer be changed"
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class RowError:
    row: int  # the spreadsheet's row number, the header being row 1 (0: the whole file)
    column: str  # the column's heading ("" for the whole row)
    message: str

    @property
    def text(self) -> str:
        if not self.row:
            return self.message
        where = f"Row {self.row}" + (f", {self.column}" if self.column else "")
        return f"{where}: {self.message}"


class ImportRefused(RuleBroken):
    """The upload was refused: `errors` names every bad row and column."""

    def __init__(self, errors: list[RowError]):
        super().__init__(errors[0].text, "spreadsheet")
        self.errors = errors


# --- the template -----------------------------------------------------------------------------


def template_rows(placements: Select, term: Term) -> list[tuple[Placement, TermlyReturn | None]]:
    """The provider's pupils still due for the term, each with its targets and any draft."""
    stmt = services.term_rows(placements, term, {"status": services.MISSING}).options(
        selectinload(Placement.targets), selectinload(TermlyReturn.progress)
    )
    return [tuple(row) for row in db.session.execute(stmt).unique()]


def _label(value) -> str:
    return value.label if value is not None else ""


def row_values(placement: Placement, ret: TermlyReturn | None, term: Term) -> dict:
    values = {
        "placement_id": placement.id,
        "term": services.key_of(term),
        "pupil": placement.pupil.name,
        "year_group": placement.pupil.year_group(term.year),
        "placement_start": placement.start_date.isoformat(),
    }
    by_target = {p.target_id: p for p in ret.progress} if ret else {}
    for target in placement.targets[:MAX_TARGETS]:
        n = target.position + 1
        values[f"target_{n}"] = f"{target.area.label}: {target.description}"
        if item := by_target.get(target.id):
            values[f"target_{n}_progress"] = _label(item.progress)
            values[f"target_{n}_comment"] = item.comment
    if ret is not None:
        for name in services.FIELDS:
            value = getattr(ret, name)
            values[name] = _label(value) if name in CHOICES else value
    return {key: values.get(key) for key in KEYS}


def build_csv(rows, term: Term) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([HEADINGS[key] for key in KEYS])
    for placement, ret in rows:
        values = row_values(placement, ret, term)
        writer.writerow(["" if values[key] is None else values[key] for key in KEYS])
    # With a byte order mark Excel opens the file as UTF-8 (names with accents survive).
    return out.getvalue().encode("utf-8-sig")


def build_xlsx(rows, term: Term) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = f"{term.label} returns"[:31]
    sheet.append([HEADINGS[key] for key in KEYS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for placement, ret in rows:
        values = row_values(placement, ret, term)
        sheet.append([values[key] for key in KEYS])
    last = max(2, len(rows) + 1)
    for index, key in enumerate(KEYS, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = 14 if key not in READ_ONLY else 22
        sheet.column_dimensions[letter].hidden = key in HIDDEN
        for row in range(2, last + 1):
            cell = sheet.cell(row=row, column=index)
            if key == "placement_start":
                cell.number_format = "@"  # text: a spreadsheet program must not make it a date
            if key not in READ_ONLY:
                cell.protection = Protection(locked=False)
        if key in CHOICES:
            labels = ",".join(member.label for member in CHOICES[key])
            rule = DataValidation(type="list", formula1=f'"{labels}"', allow_blank=True)
            rule.error, rule.errorTitle = f"Choose one of: {labels}", HEADINGS[key]
            sheet.add_data_validation(rule)
            rule.add(f"{letter}2:{letter}{last}")
    sheet.freeze_panes = "C2"
    # The header and the columns that identify each pupil are locked; the answers are not.
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- reading an upload ------------------------------------------------------------------------

NOT_A_SPREADSHEET = "The selected file is not a spreadsheet: upload the template as XLSX or CSV"


def read_table(data: bytes, max_bytes: int) -> list[list[str]]:
    """The upload's cells as text, row by row (the header first); UploadRefused says why not."""
    if not data:
        raise UploadRefused("The selected file is empty")
    if len(data) > max_bytes:
        raise UploadRefused(
            f"The selected file must be smaller than {max_bytes // 1024 // 1024} MB"
        )
    if data.startswith(b"PK\x03\x04"):
        rows = _xlsx_rows(data)
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        raise UploadRefused(
            "The selected file is an old Excel (.xls) file: save it as .xlsx or CSV"
        )
    else:
        rows = _csv_rows(data)
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    if not rows:
        raise UploadRefused("The selected file is empty")
    if len(rows) > MAX_ROWS + 1:
        raise UploadRefused(f"The spreadsheet has more than {MAX_ROWS:,} rows")
    return rows


def _xlsx_rows(data: bytes) -> list[list[str]]:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        rows = []
        for values in sheet.iter_rows(values_only=True):
            rows.append([_cell_text(v) for v in values])
            if len(rows) > MAX_ROWS + 1:
                break
        book.close()
    except UploadRefused:
        raise
    except Exception:  # noqa: BLE001 (openpyxl raises many kinds for a broken file)
        raise UploadRefused(NOT_A_SPREADSHEET) from None
    return rows


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return str(value)  # "2026-09-01 00:00:00": refused where a date belongs
    return str(value)


def _csv_rows(data: bytes) -> list[list[str]]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UploadRefused(
            "The selected file is UTF-16 text: save it as CSV UTF-8 (comma delimited)"
        )
    if b"\x00" in data:
        raise UploadRefused(NOT_A_SPREADSHEET)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UploadRefused(
            "The selected file is not UTF-8 text: in your spreadsheet program save it as "
            "CSV UTF-8 (comma delimited), or upload the XLSX"
        ) from None
    try:
        return [row for row in csv.reader(io.StringIO(text, newline=""))][: MAX_ROWS + 2]
    except csv.Error:
        raise UploadRefused(NOT_A_SPREADSHEET) from None


def header_errors(header: list[str]) -> list[RowError]:
    names = [h.strip() for h in header]
    expected = [HEADINGS[key] for key in KEYS]
    errors = [
        RowError(0, heading, f"The spreadsheet has no column “{heading}”: download the template")
        for heading in expected
        if heading not in names
    ]
    errors += [
        RowError(
            0, name, f"The column “{name or '(no heading)'}” is not in the template: remove it"
        )
        for name in names
        if name not in expected
    ]
    errors += [
        RowError(0, name, f"The column “{name}” appears more than once")
        for name in dict.fromkeys(n for n in names if n in expected and names.count(n) > 1)
    ]
    return errors


# --- checking and importing -------------------------------------------------------------------


def _choice(enum_cls, text: str):
    wanted = " ".join(text.split()).casefold()
    for member in enum_cls:
        if wanted in (member.label.casefold(), member.value.casefold()):
            return member
    raise ValueError(f"choose one of: {', '.join(m.label for m in enum_cls)}")


def _whole(text: str) -> int | None:
    if not text.strip():
        return None
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError("must be a whole number") from None


@dataclass
class _Row:
    number: int
    cells: dict[str, str]
    errors: list[RowError]

    def fail(self, key: str, message: str) -> None:
        self.errors.append(RowError(self.number, HEADINGS.get(key, key), message))


def _data_keys() -> list[str]:
    return [key for key in KEYS if key not in READ_ONLY]


def _identify(
    row: _Row, placements: dict[int, Placement], term: Term, seen: dict
) -> Placement | None:
    cells = row.cells
    if cells["term"].strip() != services.key_of(term):
        other = services.parse_term(cells["term"].strip())
        row.fail(
            "term",
            f"this row is for {other.label if other else 'another term'}, not {term.label}: "
            "download this term's template",
        )
        return None
    try:
        placement_id = int(cells["placement_id"].strip())
    except ValueError:
        row.fail("placement_id", "this is not a pupil placed with you: download the template")
        return None
    placement = placements.get(placement_id)
    if placement is None:
        row.fail("placement_id", "this is not a pupil placed with you this term")
        return None
    if placement_id in seen:
        row.fail("", f"the same pupil as row {seen[placement_id]}: keep one row per pupil")
        return None
    seen[placement_id] = row.number
    if " ".join(cells["pupil"].split()).casefold() != placement.pupil.name.casefold():
        row.fail("pupil", "the pupil does not match this row's placement: download the template")
        return None
    start = cells["placement_start"].strip()
    if not ISO_DATE.fullmatch(start):
        row.fail(
            "placement_start",
            f"“{start}” is not a date written as YYYY-MM-DD: your spreadsheet program may have "
            "changed it; format the column as text and type it as "
            f"{placement.start_date.isoformat()}",
        )
        return None
    if start != placement.start_date.isoformat():
        row.fail("placement_start", "the date does not match this row's placement")
        return None
    return placement


def _return_in(row: _Row, placement: Placement) -> services.ReturnIn:
    cells, data = row.cells, services.ReturnIn()
    for key in services.COUNTS:
        try:
            setattr(data, key, _whole(cells[key]))
        except ValueError as exc:
            row.fail(key, str(exc))
    for key in ("behaviour", "accreditation_status"):
        setattr(data, key, _chosen(row, key))
    for key in ("qualification", "level", *services.TEXTS):
        if problem := inputs.text_problem(cells[key]):
            row.fail(key, problem)
        else:
            setattr(data, key, cells[key].strip())
    data.progress = _targets_progress(row, placement)
    return data


def _chosen(row: _Row, key: str):
    if not row.cells[key].strip():
        return None
    try:
        return _choice(CHOICES[key], row.cells[key])
    except ValueError as exc:
        row.fail(key, str(exc))
        return None


def _targets_progress(row: _Row, placement: Placement) -> list[services.ProgressIn]:
    targets = {t.position + 1: t for t in placement.targets}
    given = []
    for n in range(1, MAX_TARGETS + 1):
        progress_key, comment_key = f"target_{n}_progress", f"target_{n}_comment"
        comment = row.cells[comment_key]
        if n not in targets:
            if row.cells[progress_key].strip() or comment.strip():
                row.fail(progress_key, f"this pupil's plan has {len(targets)} target(s)")
            continue
        if problem := inputs.text_problem(comment):
            row.fail(comment_key, problem)
        item = services.ProgressIn(targets[n].id, _chosen(row, progress_key), comment.strip())
        given.append(item)
    return given


def _heading_of(field: str, placement: Placement) -> str:
    for prefix in ("progress_", "comment_"):
        if field.startswith(prefix) and field[len(prefix) :].isdigit():
            target_id = int(field[len(prefix) :])
            target = next(t for t in placement.targets if t.id == target_id)
            suffix = "progress" if prefix == "progress_" else "comment"
            return f"target_{target.position + 1}_{suffix}"
    return field


def check_rows(
    table: list[list[str]], placements: dict[int, Placement], term: Term
) -> tuple[list[tuple[int, Placement, services.ReturnIn]], list[RowError]]:
    """Every row checked: the pupils to import with what they say, and every error found."""
    errors = header_errors(table[0])
    if errors:
        return [], errors
    index = {name.strip(): i for i, name in enumerate(table[0])}
    checked: list[tuple[int, Placement, services.ReturnIn]] = []
    seen: dict[int, int] = {}
    for number, cells in enumerate(table[1:], start=2):
        padded = {
            key: (cells[index[HEADINGS[key]]] if index[HEADINGS[key]] < len(cells) else "")
            for key in KEYS
        }
        if not any(padded[key].strip() for key in (*READ_ONLY, *_data_keys())):
            continue  # a blank line
        row = _Row(number, padded, [])
        placement = _identify(row, placements, term, seen)
        if placement is not None and any(padded[key].strip() for key in _data_keys()):
            data = _return_in(row, placement)
            if not row.errors:
                for problem in services.problems(placement, data, submitting=True):
                    row.fail(_heading_of(problem.field, placement), str(problem))
            if not row.errors:
                checked.append((number, placement, data))
        errors += row.errors
    return checked, errors


def import_upload(
    actor: User, placements_in_scope: Select, term: Term, data: bytes, max_bytes: int
) -> tuple[int, int]:
    """Check every row of the upload and submit them all, or nothing: ImportRefused names each
    bad row and column. Returns (returns submitted or changed, rows unchanged). Reads the
    provider's placements for the term, their targets and returns in a fixed number of
    queries, and writes in batches, whatever the number of rows."""
    table = read_table(data, max_bytes)
    if len(table) < 2 and not header_errors(table[0]):
        raise ImportRefused([RowError(0, "", "The spreadsheet has no pupils in it")])
    stmt = (
        placements_in_scope.where(services.active_in(term))
        .order_by(None)
        .options(
            joinedload(Placement.pupil).joinedload(Pupil.school),
            joinedload(Placement.provider),
            selectinload(Placement.targets),
        )
    )
    placements = {p.id: p for p in db.session.scalars(stmt).unique()}
    checked, errors = check_rows(table, placements, term)
    if errors:
        raise ImportRefused(errors)
    existing = _returns_of(list(placements), term)
    writes = _Writes(actor, term)
    for number, placement, return_in in checked:
        ret = existing.get(placement.id)
        if ret is not None and ret.status is ReturnStatus.ACCEPTED:
            if not _unchanged(ret, placement, return_in):
                errors.append(
                    RowError(
                        number, "", "this return has been accepted: it can no longer be changed"
                    )
                )
            writes.unchanged += 1
            continue
        writes.add(placement, ret, return_in)
    if errors:
        raise ImportRefused(errors)
    writes.run()
    return writes.changed, writes.unchanged


class _Writes:
    """An import's changes, written together: each kind of row in one statement (an
    executemany), so the queries do not grow with the rows."""

    def __init__(self, actor: User, term: Term):
        self.actor, self.term, self.now = actor, term, utcnow()
        self.new: list[tuple[Placement, dict, list[dict], dict]] = []
        self.updates: list[tuple[Placement, dict, list[dict], dict]] = []
        self.changed = self.unchanged = 0

    def add(self, placement: Placement, ret: TermlyReturn | None, data: services.ReturnIn):
        before = {} if ret is None else services.snapshot(ret, placement.targets)
        before["status"] = ret.status.label if ret else None
        after = {**services.data_snapshot(placement, data), "status": ReturnStatus.SUBMITTED.label}
        changes = services.changes(before, after)
        if ret is not None and not changes:
            self.unchanged += 1
            return
        self.changed += 1
        values = services.values_of(data) | {
            "status": ReturnStatus.SUBMITTED,
            "updated_at": self.now,
            "version": (ret.version if ret else 0) + 1,
        }
        if ret is None or ret.status is not ReturnStatus.SUBMITTED:
            values |= {"submitted_at": self.now, "submitted_by_id": self.actor.id}
        progress = [
            {"target_id": p.target_id, "progress": p.progress, "comment": p.comment.strip()}
            for p in data.progress
        ]
        if ret is None:
            self.new.append((placement, values, progress, changes))
        else:
            self.updates.append((placement, values | {"id": ret.id}, progress, changes))

    def run(self) -> None:
        ids = {placement.id: values["id"] for placement, values, _, _ in self.updates}
        if self.new:
            db.session.execute(
                insert(TermlyReturn),
                [
                    values
                    | {
                        "placement_id": placement.id,
                        "term_year": self.term.year,
                        "term_season": self.term.season,
                        "review_comment": "",
                        "created_at": self.now,
                    }
                    for placement, values, _, _ in self.new
                ],
            )
            ids |= _returns_ids([placement.id for placement, *_ in self.new], self.term)
        if self.updates:
            db.session.execute(update(TermlyReturn), [values for _, values, _, _ in self.updates])
            db.session.execute(
                delete(ReturnProgress).where(
                    ReturnProgress.return_id.in_([values["id"] for _, values, _, _ in self.updates])
                )
            )
        written = self.new + self.updates
        if not written:
            return
        rows = [
            item | {"return_id": ids[placement.id]}
            for placement, _, progress, _ in written
            for item in progress
        ]
        if rows:
            db.session.execute(insert(ReturnProgress), rows)
        self._history(written, ids)
        db.session.expire_all()

    def _history(self, written, ids) -> None:
        actor, label = self.actor, self.term.label
        db.session.execute(
            insert(ReturnVersion),
            [
                {
                    "return_id": ids[placement.id],
                    "number": values["version"],
                    "created_at": self.now,
                    "actor_id": actor.id,
                    "actor_email": actor.email,
                    "action": "uploaded",
                    "status": ReturnStatus.SUBMITTED,
                    "changes": changes,
                }
                for placement, values, _, changes in written
            ],
        )
        db.session.execute(
            insert(AuditEvent),
            [
                {
                    "created_at": self.now,
                    "actor_id": actor.id,
                    "actor_email": actor.email,
                    "action": "return_uploaded",
                    "target_type": "TermlyReturn",
                    "target_id": str(ids[placement.id]),
                    "summary": f"Submitted by spreadsheet: {label} return from "
                    f"{placement.provider.name}"[:500],
                    "pupil_id": placement.pupil_id,
                    "details": {"fields": sorted(changes)},
                    "ip": audit.client_ip(),
                }
                for placement, _, _, changes in written
            ],
        )


def _returns_ids(placement_ids: list[int], term: Term) -> dict[int, int]:
    stmt = select(TermlyReturn.placement_id, TermlyReturn.id).where(
        TermlyReturn.placement_id.in_(placement_ids),
        TermlyReturn.term_year == term.year,
        TermlyReturn.term_season == term.season,
    )
    return dict(db.session.execute(stmt).tuples().all())


def _returns_of(placement_ids: list[int], term: Term) -> dict[int, TermlyReturn]:
    if not placement_ids:
        return {}
    stmt = (
        select(TermlyReturn)
        .where(
            TermlyReturn.placement_id.in_(placement_ids),
            TermlyReturn.term_year == term.year,
            TermlyReturn.term_season == term.season,
        )
        .options(selectinload(TermlyReturn.progress))
    )
    return {r.placement_id: r for r in db.session.scalars(stmt)}


def _unchanged(ret: TermlyReturn, placement: Placement, data: services.ReturnIn) -> bool:
    return services.data_snapshot(placement, data) == services.snapshot(ret, placement.targets)
