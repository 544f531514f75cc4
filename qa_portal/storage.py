"""Private storage for uploads (a local folder or S3): the checks every upload passes first,
objects that follow their database transaction, and the sweep of what no record refers to."""

from __future__ import annotations

import io
import logging
import math
import os
import re
import tempfile
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Container, Iterable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote
from uuid import uuid4

from flask import Flask, Response, current_app, redirect
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from qa_portal.db import db
from qa_portal.rules import RuleBroken

log = logging.getLogger(__name__)

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
WEBP = "image/webp"
HEIC = "image/heic"
GIF = "image/gif"

EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png", WEBP: ".webp", HEIC: ".heic", GIF: ".gif"}
DOCUMENT_TYPES = frozenset({PDF, JPEG, PNG})
PHOTO_TYPES = frozenset({JPEG, PNG, HEIC, WEBP})

CHUNK_SIZE = 64 * 1024
MAX_KEY_LENGTH = 512
_KEY = re.compile(r"[A-Za-z0-9._/-]+")
_EXTENSION = re.compile(r"(\.[A-Za-z0-9]{1,10})?")
_LABELS = {PDF: "PDF", JPEG: "JPG", PNG: "PNG", HEIC: "HEIC", WEBP: "WebP", GIF: "GIF"}
_HEIC_BRANDS = {b"heic", b"heix", b"mif1"}
_S3_MISSING = {"NoSuchKey", "404", "NotFound"}
_TEMPORARY = re.compile(r"\.upload-[A-Za-z0-9_]+\.tmp")

UNREADABLE_PDF = "The selected file is not a readable PDF"
PROTECTED_PDF = "The selected file is password protected"
ACTIVE_PDF = (
    "PDFs with attached files or scripts cannot be accepted: print or export the document "
    "to a plain PDF and send that"
)
# What a PDF viewer would run or open: scripts, launching programs, attached (possibly
# executable) files, embedded media. Looked for as keys and as names (/S /JavaScript). A file
# is attached wherever a file specification has /EF, whether or not its stream is typed
# /EmbeddedFile (a paperclip annotation, /FileAttachment); an XFA form carries its own scripts.
# Opening another file (/GoToR: a path on a file share leaks the reader's credentials), sending
# or importing form data talk to a server too.
_ACTIVE_PDF_NAMES = frozenset(
    {
        "/JavaScript",
        "/JS",
        "/Launch",
        "/EmbeddedFile",
        "/EmbeddedFiles",
        "/EF",
        "/FileAttachment",
        "/XFA",
        "/RichMedia",
        "/GoToE",
        "/GoToR",
        "/SubmitForm",
        "/ImportData",
    }
)
# A PDF with more objects than this is refused rather than walked for ever.
_MAX_PDF_OBJECTS = 200_000


class StorageError(Exception):
    """The storage backend failed."""


class MissingObject(StorageError, KeyError):
    """No object is stored under the key."""


class UploadRefused(RuleBroken, ValueError):
    """An upload failed a check; the message is fit to show the person who uploaded it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def validate_key(key: str) -> str:
    """Return `key` if it is a safe relative key, else raise ValueError.

    Segments are non-empty, use only [A-Za-z0-9._-] and never start with a dot, so no key can be
    absolute, climb out with `..`, or collide with the local backend's hidden temporary files.
    """
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"invalid storage key: {key!r}")
    if not _KEY.fullmatch(key):
        raise ValueError(f"invalid storage key: {key!r}")
    if any(not segment or segment.startswith(".") for segment in key.split("/")):
        raise ValueError(f"invalid storage key: {key!r}")
    return key


def new_key(prefix: str, extension: str) -> str:
    """An unguessable key under `prefix`, such as providers/12/compliance/<32 hex digits>.pdf."""
    validate_key(prefix)
    if not _EXTENSION.fullmatch(extension):
        raise ValueError(f"invalid extension: {extension!r}")
    return validate_key(f"{prefix}/{uuid4().hex}{extension.lower()}")


def send_document(key: str, filename: str, content_type: str, size: int) -> Response:
    """A stored document as a download that no cache keeps: streamed from local storage, or a
    redirect to a short-lived presigned URL on S3. The caller has checked the right to it."""
    backend = get_storage()
    url = backend.download_url(key, filename, content_type)
    if url:
        return redirect(url)
    stream = backend.open_stream(key)
    response = Response(
        stream,
        mimetype=content_type,
        headers={
            "Content-Disposition": attachment_disposition(filename),
            "Content-Length": str(size),
            "Cache-Control": "no-store",
        },
    )
    response.call_on_close(stream.close)
    return response


def attachment_disposition(filename: str) -> str:
    """A Content-Disposition value that makes browsers save the download as `filename`."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()[:200] or "download"
    fallback = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    fallback = re.sub(r"[^A-Za-z0-9._() -]", "_", fallback).strip() or "download"
    header = f'attachment; filename="{fallback}"'
    if fallback != name:
        header += f"; filename*=UTF-8''{quote(name, safe='')}"
    return header


class Stream:
    """The byte chunks of one stored object; close() releases its file or connection."""

    def __init__(self, chunks: Iterator[bytes], close: Callable[[], None]) -> None:
        self._chunks = chunks
        self._close = close

    def __iter__(self) -> Iterator[bytes]:
        return self._chunks

    def close(self) -> None:
        self._close()

    def __enter__(self) -> Stream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@dataclass(frozen=True)
class StoredObject:
    """An object found by listing the storage: its key (or, for an unfinished upload, its
    path under the storage folder) and when it was last written."""

    key: str
    modified: datetime
    unfinished: bool = False


class Storage(ABC):
    """Objects stored by key; a missing key raises MissingObject, a bad key ValueError."""

    @abstractmethod
    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    @abstractmethod
    def get(self, key: str) -> bytes: ...

    @abstractmethod
    def open_stream(self, key: str) -> Stream: ...

    @abstractmethod
    def delete(self, key: str) -> None: ...

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def size(self, key: str) -> int: ...

    @abstractmethod
    def download_url(
        self, key: str, filename: str, content_type: str, expires: int = 300
    ) -> str | None:
        """A short-lived URL the browser can fetch directly, or None to stream through the app."""

    @abstractmethod
    def objects(self, folder: str) -> Iterator[StoredObject]:
        """Every object whose key starts with `folder`/, in no particular order."""

    def unfinished(self) -> Iterator[StoredObject]:
        """Uploads that were never completed (a worker stopped while writing one)."""
        return iter(())

    def remove(self, found: StoredObject) -> None:
        """Delete an object found by objects() or unfinished()."""
        self.delete(found.key)


class LocalStorage(Storage):
    """Files under a root folder, written atomically and readable by the portal's user only."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        path = self.root.joinpath(*validate_key(key).split("/"))
        if not path.resolve().is_relative_to(self.root):
            raise ValueError(f"storage key leaves the storage folder: {key!r}")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as error:
            raise StorageError(f"could not store {key!r}: {error}") from error

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as error:
            raise MissingObject(key) from error

    def open_stream(self, key: str) -> Stream:
        try:
            handle = self._path(key).open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as error:
            raise MissingObject(key) from error
        return Stream(iter(lambda: handle.read(CHUNK_SIZE), b""), handle.close)

    def delete(self, key: str) -> None:
        path = self._path(key)
        if path.is_file():
            path.unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        path = self._path(key)
        if not path.is_file():
            raise MissingObject(key)
        return path.stat().st_size

    def download_url(
        self, key: str, filename: str, content_type: str, expires: int = 300
    ) -> str | None:
        self._path(key)
        return None

    def objects(self, folder: str) -> Iterator[StoredObject]:
        base = self._path(folder)
        if not base.is_dir():
            return
        for path in base.rglob("*"):
            # Dot-files are the temporary files of writes in progress, never objects.
            if path.name.startswith(".") or path.is_symlink() or not path.is_file():
                continue
            key = path.relative_to(self.root).as_posix()
            with suppress(ValueError, FileNotFoundError):
                yield StoredObject(validate_key(key), _modified(path))

    def unfinished(self) -> Iterator[StoredObject]:
        if not self.root.is_dir():
            return
        for path in self.root.rglob(".upload-*.tmp"):
            if path.is_file() and not path.is_symlink():
                with suppress(FileNotFoundError):
                    yield StoredObject(
                        path.relative_to(self.root).as_posix(), _modified(path), unfinished=True
                    )

    def remove(self, found: StoredObject) -> None:
        if not found.unfinished:
            self.delete(found.key)
            return
        path = self.root.joinpath(*found.key.split("/"))
        if not _TEMPORARY.fullmatch(path.name) or not path.resolve().is_relative_to(self.root):
            raise ValueError(f"not an unfinished upload: {found.key!r}")
        path.unlink(missing_ok=True)


def _modified(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


class S3Storage(Storage):
    """Private, encrypted objects in an S3 bucket (or any S3-compatible service)."""

    # Keys per listing request: S3's own maximum.
    page_size = 1000

    def __init__(
        self,
        bucket: str,
        region: str,
        endpoint_url: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        prefix: str = "",
    ) -> None:
        if not bucket:
            raise ValueError("an S3 bucket name is required")
        self.bucket = bucket
        self.prefix = validate_key(prefix.strip("/")) if prefix.strip("/") else ""
        # Imported here: boto3 takes tens of MiB, and a portal on local storage never needs it.
        import boto3
        from botocore.config import Config

        # Without keys boto3 falls back to its usual chain (instance role, environment).
        session = boto3.session.Session(
            aws_access_key_id=access_key or None,
            aws_secret_access_key=secret_key or None,
            region_name=region,
        )
        self.client = session.client(
            "s3",
            endpoint_url=endpoint_url or None,
            config=Config(
                signature_version="s3v4",
                connect_timeout=5,
                read_timeout=30,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        )

    def _key(self, key: str) -> str:
        validate_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _call(self, key: str, operation: str, **params: Any) -> dict:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client, operation)(Bucket=self.bucket, Key=self._key(key), **params)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _S3_MISSING:
                raise MissingObject(key) from error
            raise StorageError(f"S3 {operation} failed for {key!r}: {error}") from error
        except BotoCoreError as error:
            raise StorageError(f"S3 {operation} failed for {key!r}: {error}") from error

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self._call(
            key, "put_object", Body=data, ContentType=content_type, ServerSideEncryption="AES256"
        )

    def get(self, key: str) -> bytes:
        body = self._call(key, "get_object")["Body"]
        with body:
            return body.read()

    def open_stream(self, key: str) -> Stream:
        body = self._call(key, "get_object")["Body"]
        return Stream(body.iter_chunks(CHUNK_SIZE), body.close)

    def delete(self, key: str) -> None:
        with suppress(MissingObject):
            self._call(key, "delete_object")

    def exists(self, key: str) -> bool:
        try:
            self._call(key, "head_object")
        except MissingObject:
            return False
        return True

    def size(self, key: str) -> int:
        return int(self._call(key, "head_object")["ContentLength"])

    def download_url(
        self, key: str, filename: str, content_type: str, expires: int = 300
    ) -> str | None:
        params = {
            "Bucket": self.bucket,
            "Key": self._key(key),
            "ResponseContentDisposition": attachment_disposition(filename),
            "ResponseContentType": content_type,
        }
        return self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires)

    def objects(self, folder: str) -> Iterator[StoredObject]:
        from botocore.exceptions import BotoCoreError, ClientError

        validate_key(folder)
        skip = len(self.prefix) + 1 if self.prefix else 0
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket,
            Prefix=f"{self._key(folder)}/",
            PaginationConfig={"PageSize": self.page_size},
        )
        try:
            for page in pages:
                for entry in page.get("Contents", ()):
                    with suppress(ValueError):
                        yield StoredObject(validate_key(entry["Key"][skip:]), entry["LastModified"])
        except (BotoCoreError, ClientError) as error:
            raise StorageError(f"S3 listing failed under {folder!r}: {error}") from error


def sniff(data: bytes) -> str | None:
    """The MIME type that the leading bytes show, for the types the portal accepts, else None."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data[4:8] == b"ftyp" and data[8:12] in _HEIC_BRANDS:
        return HEIC
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    return None


def check_upload(data: bytes, filename: str, allowed: set[str], max_bytes: int) -> str:
    """The content type of an acceptable upload, judged from its bytes (the filename is never
    trusted); otherwise UploadRefused with a message for the person who uploaded it."""
    try:
        if not data:
            raise UploadRefused("The selected file is empty")
        if len(data) > max_bytes:
            raise UploadRefused(f"The selected file must be smaller than {_size_text(max_bytes)}")
        content_type = sniff(data)
        if content_type not in allowed:
            raise UploadRefused(f"The selected file must be {_describe(allowed)}")
        if content_type == PDF:
            _check_pdf(data)
    except UploadRefused as refusal:
        log.info("upload refused: %s (filename %r, %d bytes)", refusal, filename, len(data))
        raise
    return content_type


def _check_pdf(data: bytes) -> None:
    if b"%%EOF" not in data[-1024:]:
        raise UploadRefused(UNREADABLE_PDF)
    from pypdf import PdfReader  # imported when a PDF is uploaded: it is large

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UploadRefused(PROTECTED_PDF)
        pages = len(reader.pages)
        active = _has_active_content(reader.trailer)
    except UploadRefused:
        raise
    except Exception as error:  # pypdf raises many kinds of error on damaged or hostile files
        raise UploadRefused(UNREADABLE_PDF) from error
    if pages < 1:
        raise UploadRefused(UNREADABLE_PDF)
    if active:
        raise UploadRefused(ACTIVE_PDF)


def _has_active_content(trailer: Any) -> bool:
    """Whether anything reachable from the trailer names a script, a launch action, an
    attached file or embedded media. Streams are not decoded: only their dictionaries."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    seen: set[tuple[int, int]] = set()
    pending: list[Any] = [trailer]
    while pending:
        item = pending.pop()
        if isinstance(item, IndirectObject):
            if (item.idnum, item.generation) in seen:
                continue
            seen.add((item.idnum, item.generation))
            if len(seen) > _MAX_PDF_OBJECTS:
                raise UploadRefused(UNREADABLE_PDF)
            pending.append(item.get_object())
        elif isinstance(item, DictionaryObject):
            if not _ACTIVE_PDF_NAMES.isdisjoint(item.keys()):
                return True
            pending.extend(item.values())
        elif isinstance(item, ArrayObject):
            pending.extend(item)
        elif isinstance(item, NameObject) and item in _ACTIVE_PDF_NAMES:
            return True
    return False


def _describe(allowed: set[str]) -> str:
    labels = [label for content_type, label in _LABELS.items() if content_type in allowed]
    if not labels:
        return "a supported type"
    if len(labels) == 1:
        return f"a {labels[0]}"
    return f"a {', '.join(labels[:-1])} or {labels[-1]}"


def _size_text(max_bytes: int) -> str:
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if max_bytes >= scale:
            return f"{math.floor(max_bytes / scale * 10) / 10:g} {unit}"
    return f"{max_bytes} bytes"


def from_config(config: Mapping[str, Any], instance_path: str) -> Storage:
    """The backend that the configuration names."""
    backend = config.get("STORAGE_BACKEND") or "local"
    if backend == "local":
        root = config.get("STORAGE_LOCAL_ROOT") or Path(instance_path) / "uploads"
        return LocalStorage(Path(root))
    if backend == "s3":
        if not config.get("S3_BUCKET"):
            raise RuntimeError("S3_BUCKET must be set when STORAGE_BACKEND is s3")
        return S3Storage(
            bucket=config["S3_BUCKET"],
            region=config.get("S3_REGION") or "eu-west-2",
            endpoint_url=config.get("S3_ENDPOINT_URL"),
            access_key=config.get("S3_ACCESS_KEY_ID"),
            secret_key=config.get("S3_SECRET_ACCESS_KEY"),
            prefix=config.get("S3_PREFIX") or "",
        )
    raise RuntimeError(f"STORAGE_BACKEND must be 'local' or 's3', not {backend!r}")


def init_app(app: Flask) -> None:
    app.extensions["storage"] = from_config(app.config, app.instance_path)


def get_storage() -> Storage:
    """The current app's storage backend."""
    try:
        return current_app.extensions["storage"]
    except KeyError:
        raise RuntimeError("storage.init_app(app) has not been called") from None


# Objects follow the database transaction that refers to them. A new object is written before
# the commit (so a committed row never points at nothing) and deleted if that transaction is
# rolled back; an object being replaced is deleted only once the change is committed. What a
# stopped worker leaves behind either way is found later by sweep().


@dataclass
class _Entry:
    backend: Storage
    key: str
    transaction: SessionTransaction


@dataclass
class _Ledger:
    new: list[_Entry] = field(default_factory=list)
    old: list[_Entry] = field(default_factory=list)
    committed: set[SessionTransaction] = field(default_factory=set)


def put_pending(key: str, data: bytes, content_type: str) -> str:
    """Store an object for the row about to refer to it: kept if the current database
    transaction commits, deleted if it is rolled back."""
    backend = get_storage()
    # Noted first: a put that fails half-way is cleaned up with the rest.
    _note(backend, key, new=True)
    backend.put(key, data, content_type)
    return key


def delete_after_commit(key: str) -> None:
    """Delete an object once the current database transaction, which stops referring to it,
    has committed; keep it if the transaction is rolled back."""
    _note(get_storage(), validate_key(key), new=False)


def _note(backend: Storage, key: str, *, new: bool) -> None:
    session = db.session()
    root = session.get_transaction() or session.begin()
    entry = _Entry(backend, key, session.get_nested_transaction() or root)
    ledger = session.info.setdefault("storage_ledger", _Ledger())
    (ledger.new if new else ledger.old).append(entry)


def _within(entry: _Entry, transaction: SessionTransaction) -> bool:
    """Whether the entry was noted in `transaction` or in a savepoint inside it."""
    current: SessionTransaction | None = entry.transaction
    while current is not None:
        if current is transaction:
            return True
        current = current.parent
    return False


def _delete_quietly(entries: Iterable[_Entry], why: str) -> None:
    for entry in entries:
        try:
            entry.backend.delete(entry.key)
        except Exception:  # the request has its answer already; the sweep removes it later
            log.exception("could not delete %s object %r", why, entry.key)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    ledger = session.info.get("storage_ledger")
    if ledger is not None:
        transaction = session.get_nested_transaction() or session.get_transaction()
        ledger.committed.add(transaction)


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    ledger = session.info.get("storage_ledger")
    if ledger is None:
        return
    if transaction in ledger.committed:
        ledger.committed.discard(transaction)
        if transaction.parent is None:  # committed for good: the replaced objects go
            session.info.pop("storage_ledger")
            _delete_quietly(ledger.old, "replaced")
        return
    # Rolled back, or closed without a commit: what it wrote goes, what it replaced stays.
    ledger.new, gone = _split(ledger.new, transaction)
    ledger.old, _ = _split(ledger.old, transaction)
    _delete_quietly(gone, "rolled-back")
    if transaction.parent is None:
        session.info.pop("storage_ledger")


def _split(
    entries: list[_Entry], transaction: SessionTransaction
) -> tuple[list[_Entry], list[_Entry]]:
    """The entries noted outside `transaction`, and those noted in it."""
    kept = [entry for entry in entries if not _within(entry, transaction)]
    return kept, [entry for entry in entries if _within(entry, transaction)]


def sweep(
    backend: Storage,
    referenced: Container[str],
    *,
    folders: Iterable[str],
    older_than: timedelta,
    dry_run: bool = False,
) -> list[StoredObject]:
    """Remove the objects under `folders` that no record refers to, and unfinished uploads,
    last written more than `older_than` ago (younger ones may belong to a transaction still
    under way). Returns what was removed, or with `dry_run` what would be."""
    cutoff = datetime.now(UTC) - older_than
    found = [
        item
        for folder in folders
        for item in backend.objects(folder)
        if item.modified < cutoff and item.key not in referenced
    ]
    found += [item for item in backend.unfinished() if item.modified < cutoff]
    if not dry_run:
        for item in found:
            backend.remove(item)
    return found
