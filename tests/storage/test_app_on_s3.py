"""The portal on the S3 backend: documents go to the bucket, downloads use presigned URLs."""

from __future__ import annotations

import urllib.request

from qa_portal.db import db
from tests import factories


def test_compliance_document_round_trip_through_s3(app, login, monkeypatch, s3_storage, s3_client):
    monkeypatch.setitem(app.extensions, "storage", s3_storage)
    provider = factories.provider("S3 Stored Ltd")
    item = factories.item(provider, "public_liability", stored=True)
    db.session.commit()
    head = s3_client.head_object(
        Bucket=s3_storage.bucket, Key=f"{s3_storage.prefix}/{item.document_key}"
    )
    assert head["ServerSideEncryption"] == "AES256"

    client = login(factories.user("officer"))
    response = client.get(f"/providers/{provider.id}/compliance/{item.id}/document")
    assert response.status_code == 302
    url = response.headers["Location"]
    assert "Signature=" in url or "X-Amz-Signature=" in url
    with urllib.request.urlopen(url, timeout=10) as fetched:  # noqa: S310 (loopback moto)
        assert fetched.read().startswith(b"%PDF")
        assert "attachment" in fetched.headers["Content-Disposition"]


def test_provider_user_gets_no_presigned_url_for_another_provider(
    app, login, monkeypatch, s3_storage
):
    monkeypatch.setitem(app.extensions, "storage", s3_storage)
    other = factories.provider("Not Yours Ltd")
    item = factories.item(other, "public_liability", stored=True)
    user = factories.user("provider")
    db.session.commit()
    response = login(user).get(f"/providers/{other.id}/compliance/{item.id}/document")
    assert response.status_code == 404
    assert "Location" not in response.headers
