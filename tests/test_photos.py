"""Photos: what is refused, what is kept of what is taken, and the store on disk."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageFile

from photo_cleaning import MAX_BYTES, PhotoRefused, clean_photo
from photo_store import DiskPhotoStore, PhotoMissing, S3PhotoStore, content_type, photo_store

GPS = 0x8825  # the EXIF tag of the GPS block
MAKE = 0x010F
ORIENTATION = 0x0112


def _jpeg(width=800, height=600, *, exif=None) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (width, height), (200, 40, 40))
    image.paste((20, 20, 220), (0, 0, width // 2, height // 4))  # a mark: which way is up
    image.save(out, "JPEG", exif=exif or Image.Exif())
    return out.getvalue()


def _exif_with_gps(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[MAKE] = "Linli phone"
    exif[ORIENTATION] = orientation
    exif.get_ifd(GPS).update({1: "N", 2: (31.0, 18.0, 0.0), 3: "E", 4: (120.0, 37.0, 0.0)})
    return exif


def test_a_jpeg_with_its_gps_location_comes_out_without_any_exif():
    original = _jpeg(exif=_exif_with_gps())
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS)  # the test's premise
    clean = clean_photo(original)
    kept = Image.open(io.BytesIO(clean.data))
    assert kept.format == "JPEG" and clean.extension == "jpg"
    assert dict(kept.getexif()) == {}
    assert kept.getexif().get_ifd(GPS) == {}
    assert b"Linli phone" not in clean.data and b"Exif" not in clean.data


def test_the_cameras_orientation_is_applied_and_the_longest_edge_is_1600():
    # orientation 6: the camera was turned, the picture must be turned back (90° clockwise)
    clean = clean_photo(_jpeg(4000, 3000, exif=_exif_with_gps(orientation=6)))
    assert (clean.width, clean.height) == (1200, 1600)
    kept = Image.open(io.BytesIO(clean.data))
    assert kept.size == (1200, 1600)
    assert ORIENTATION not in kept.getexif()


def test_a_png_stays_a_png_and_a_small_photo_keeps_its_size():
    out = io.BytesIO()
    Image.new("RGBA", (300, 200), (0, 128, 0, 128)).save(out, "PNG")
    clean = clean_photo(out.getvalue())
    assert clean.extension == "png" and (clean.width, clean.height) == (300, 200)


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7 not a photo at all",
        b"GIF89a" + bytes(100),
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        _jpeg()[:200],  # a photo cut short
    ],
    ids=["pdf", "gif", "svg", "truncated"],
)
def test_a_file_that_is_not_a_photo_is_refused(data):
    with pytest.raises(PhotoRefused):
        clean_photo(data)


def test_an_empty_file_is_refused():
    with pytest.raises(PhotoRefused):
        clean_photo(b"")


def test_a_file_over_10_mb_is_refused_before_it_is_read():
    # a real JPEG header followed by padding: refused by its size alone
    with pytest.raises(PhotoRefused, match="10 MB"):
        clean_photo(_jpeg() + bytes(MAX_BYTES))


def test_more_than_30_million_pixels_are_refused_before_decoding(monkeypatch):
    out = io.BytesIO()
    Image.new("1", (6000, 5001)).save(out, "PNG")  # 30,006,000 pixels in a few KB
    bomb = out.getvalue()
    assert len(bomb) < 100_000
    decoded = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: decoded.append(self))
    with pytest.raises(PhotoRefused, match="30 million"):
        clean_photo(bomb)
    assert decoded == []


def test_exactly_30_million_pixels_are_taken():
    out = io.BytesIO()
    Image.new("1", (6000, 5000)).save(out, "PNG")
    assert clean_photo(out.getvalue()).width == 1600


def test_the_disk_store_saves_opens_and_deletes(tmp_path):
    store = DiskPhotoStore(tmp_path / "photos")
    key = store.save(b"pixels", extension="jpg")
    assert store.open(key) == b"pixels" and content_type(key) == "image/jpeg"
    assert [p.name for p in (tmp_path / "photos").iterdir()] == [key]
    store.delete(key)
    store.delete(key)
    with pytest.raises(PhotoMissing):
        store.open(key)


@pytest.mark.parametrize("key", ["../linli.sqlite3", "/etc/passwd", "", "a" * 32 + ".svg"])
def test_a_key_the_store_did_not_make_is_missing(tmp_path, key):
    with pytest.raises(PhotoMissing):
        DiskPhotoStore(tmp_path).open(key)


# --- the same store in S3-compatible object storage (moto's server on 127.0.0.1) --------------


@pytest.fixture
def s3_server(monkeypatch):
    """A real S3-compatible HTTP server (moto) on a free local port, stopped after."""
    from moto.server import ThreadedMotoServer

    from tests.servers import free_port

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    for name, value in {
        "AWS_ACCESS_KEY_ID": "linli-test",
        "AWS_SECRET_ACCESS_KEY": "linli-test-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    yield f"http://127.0.0.1:{port}"
    server.stop()


def test_with_a_bucket_configured_photos_are_kept_in_object_storage(app, s3_server, tmp_path):
    import boto3

    boto3.client("s3", endpoint_url=s3_server).create_bucket(Bucket="linli-photos")
    app.config.update(PHOTO_S3_BUCKET="linli-photos", PHOTO_S3_ENDPOINT_URL=s3_server)
    with app.app_context():
        store = photo_store()
        assert isinstance(store, S3PhotoStore)
        photo = clean_photo(_jpeg())
        key = store.save(photo.data, extension=photo.extension)
        assert store.open(key) == photo.data
        assert not list((tmp_path / "photos").glob("*"))  # nothing on disk
        listed = boto3.client("s3", endpoint_url=s3_server).list_objects_v2(Bucket="linli-photos")
        assert [o["Key"] for o in listed["Contents"]] == [f"photos/{key}"]
        store.delete(key)
        store.delete(key)  # twice is no error
        with pytest.raises(PhotoMissing):
            store.open(key)
        with pytest.raises(PhotoMissing):
            store.open("../../etc/passwd")
