"""Storage backends for the shared behavioural tests: a local folder, and S3 as served by moto's
standalone server over real HTTP on 127.0.0.1 (started once per session)."""

from __future__ import annotations

import copy
import io
import struct
import uuid
import zlib

import boto3
import pytest
from moto.server import ThreadedMotoServer
from pypdf import PdfWriter

from qa_portal.storage import LocalStorage, S3Storage

BUCKET = "qa-portal-test-uploads"
REGION = "eu-west-2"
ACCESS_KEY = "test-access-key"
SECRET_KEY = "test-secret-key"


# Other test folders import these fixtures to run their tests on S3 too; each import is a
# fixture of its own to pytest, so the server and the bucket are made once per run here.
_SHARED: dict[str, object] = {}


@pytest.fixture(scope="session")
def moto_url():
    """The base URL of a moto S3 server on the loopback address, isolated from any AWS settings
    or proxies in the environment."""
    if "url" in _SHARED:
        yield _SHARED["url"]
        return
    with pytest.MonkeyPatch.context() as mp:
        for name in (
            "AWS_PROFILE",
            "AWS_DEFAULT_PROFILE",
            "AWS_ENDPOINT_URL",
            "AWS_ENDPOINT_URL_S3",
        ):
            mp.delenv(name, raising=False)
        mp.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
        mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
        for name in ("NO_PROXY", "no_proxy"):
            mp.setenv(name, "127.0.0.1,localhost")
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        _SHARED["url"] = f"http://{host}:{port}"
        try:
            yield _SHARED["url"]
        finally:
            _SHARED.clear()
            server.stop()


@pytest.fixture(scope="session")
def s3_client(moto_url):
    """A plain boto3 client on the moto server, for looking behind the backend's back."""
    if "client" not in _SHARED:
        client = boto3.session.Session(
            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=REGION
        ).client("s3", endpoint_url=moto_url)
        client.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        _SHARED["client"] = client
    return _SHARED["client"]


@pytest.fixture(scope="session")
def shared_s3_storage(moto_url, s3_client):
    return S3Storage(
        bucket=BUCKET,
        region=REGION,
        endpoint_url=moto_url,
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
    )


@pytest.fixture
def s3_storage(shared_s3_storage):
    """An S3 backend on the shared bucket, under a prefix of its own so tests cannot collide
    (a copy shares the client, which is costly to build)."""
    backend = copy.copy(shared_s3_storage)
    backend.prefix = f"test-{uuid.uuid4().hex}"
    return backend


@pytest.fixture
def local_storage(tmp_path):
    return LocalStorage(tmp_path / "uploads")


@pytest.fixture(params=["local", "s3"])
def backend(request):
    """Each behavioural test runs once per backend."""
    return request.getfixturevalue(f"{request.param}_storage")


@pytest.fixture(scope="session")
def pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(72, 72)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def png_bytes() -> bytes:
    """A valid 1x1 greyscale PNG, written by hand."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x80")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )
