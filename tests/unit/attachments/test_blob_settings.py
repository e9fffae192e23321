"""Where the attachments service keeps its blobs, as TICKETING_* settings say, and when its
downloads may redirect."""

from __future__ import annotations

from pathlib import Path

import pytest
from ticketing_attachments.adapters.blobs_local import LocalBlobStore
from ticketing_attachments.adapters.blobs_memory import InMemoryBlobStore
from ticketing_attachments.bootstrap import blobs_from_settings, build_attachments_service
from ticketing_attachments.settings import AttachmentsSettings
from ticketing_feed.memory import InMemoryFeed


def test_the_s3_settings_come_from_their_agreed_environment_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TICKETING_ATTACHMENTS_BLOB_URL", "s3://ticketing-attachments")
    monkeypatch.setenv("TICKETING_S3_ENDPOINT", "http://127.0.0.1:9000")
    monkeypatch.setenv("TICKETING_S3_ACCESS_KEY", "ticketing")
    monkeypatch.setenv("TICKETING_S3_SECRET_KEY", "ticketing-dev-secret")
    monkeypatch.setenv("TICKETING_ATTACHMENTS_DOWNLOAD_REDIRECT", "true")
    settings = AttachmentsSettings()
    assert settings.attachments_blob_url == "s3://ticketing-attachments"
    assert settings.s3_endpoint == "http://127.0.0.1:9000"
    assert settings.s3_access_key == "ticketing"
    assert settings.s3_secret_key.get_secret_value() == "ticketing-dev-secret"
    assert "ticketing-dev-secret" not in repr(settings)
    assert settings.attachments_download_redirect is True
    assert (settings.s3_region, settings.s3_signed_url_seconds) == ("us-east-1", 300)


def test_without_a_blob_url_blobs_stay_in_the_directory_or_memory(tmp_path: Path) -> None:
    on_disk = AttachmentsSettings(data_dir=tmp_path)
    assert isinstance(blobs_from_settings(on_disk), LocalBlobStore)
    for memory in (
        AttachmentsSettings(data_dir=tmp_path, attachments_blob_url="memory://"),
        AttachmentsSettings(data_dir=tmp_path, attachments_blob_dir="memory://"),
    ):
        assert isinstance(blobs_from_settings(memory), InMemoryBlobStore)


@pytest.mark.parametrize(
    "url", ["gs://ticketing-attachments", "s3://", "s3://bucket/prefix", "/var/blobs"]
)
def test_an_unknown_blob_url_is_refused_at_start(tmp_path: Path, url: str) -> None:
    settings = AttachmentsSettings(data_dir=tmp_path, attachments_blob_url=url)
    with pytest.raises(ValueError, match="blob URL"):
        blobs_from_settings(settings)


def test_an_s3_blob_url_without_endpoint_or_keys_names_what_is_missing(tmp_path: Path) -> None:
    settings = AttachmentsSettings(
        data_dir=tmp_path, attachments_blob_url="s3://ticketing-attachments"
    )
    with pytest.raises(ValueError, match="TICKETING_S3_ENDPOINT"):
        blobs_from_settings(settings)


def test_downloads_stream_by_default_and_cannot_redirect_from_a_directory(tmp_path: Path) -> None:
    streaming = AttachmentsSettings(data_dir=tmp_path, attachments_catalog_url="memory://")
    service = build_attachments_service(streaming, feed=InMemoryFeed())
    assert service.download_link is None
    redirecting = streaming.model_copy(update={"attachments_download_redirect": True})
    with pytest.raises(ValueError, match="TICKETING_ATTACHMENTS_DOWNLOAD_REDIRECT"):
        build_attachments_service(redirecting, feed=InMemoryFeed())
