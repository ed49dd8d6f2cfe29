"""Photos on actions (issue #13 §4): ``POST /api/v1/attachments`` and ``GET …/{id}``.

Every image is made here by Pillow with EXIF carrying a GPS position, a camera make and an
orientation; the served bytes are read back by Pillow and searched for the tags. The service
runs on a data folder of this module's own, so the stored files can be counted exactly.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import text

from api.app import create_app
from geo.settings import Settings

URL = "/api/v1/attachments"
GPS_IFD = 0x8825
#: 40°20'30" N, 110°2'3" E: a point in Dalad Banner, as a phone camera writes it.
GPS = {1: "N", 2: (40.0, 20.0, 30.0), 3: "E", 4: (110.0, 2.0, 3.0)}
FORMATS = [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")]


def photo(fmt: str = "JPEG", size: tuple[int, int] = (64, 48), orientation: int = 6) -> bytes:
    """A photo as a phone takes it: EXIF with GPS, make and orientation (6: turn 90° right)."""
    image = Image.new("RGB", size, "white")
    image.paste((200, 30, 30), (0, 0, size[0] // 2, size[1]))  # left half red: shows a turn
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "WanggePhone"
    exif.get_ifd(GPS_IFD).update(GPS)
    out = io.BytesIO()
    extra = {} if fmt == "PNG" else {"xmp": b"<x:xmpmeta>40.341667,110.034167</x:xmpmeta>"}
    image.save(out, fmt, exif=exif, **extra)
    return out.getvalue()


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("wangge-data")


@pytest.fixture(scope="module")
def api(database, auth, privacy_scan, store) -> TestClient:
    settings = Settings(
        database_url=database.service_url,
        load_sample_data=False,
        access_token_minutes=24 * 60,
        data_dir=store,
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        client.event_hooks = {"request": [], "response": [privacy_scan.response]}
        yield client


@pytest.fixture(scope="module")
def cases(engine, accounts) -> dict[str, str]:
    """A case inside the demo grid worker's grid and one in the peer's grid (other township)."""
    found = {}
    with engine.connect() as conn:
        for who in ("grid_worker", "grid_worker_peer"):
            found[who] = conn.execute(
                text(
                    "SELECT i.code FROM incident i JOIN area q ON q.id = i.queue_area_id "
                    "WHERE q.code LIKE :p || '%' ORDER BY i.id LIMIT 1"
                ),
                {"p": accounts[who].area_code},
            ).scalar_one()
    return found


def rows(engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM attachment")).scalar_one())


def files(store: Path) -> list[Path]:
    return sorted(p for p in (store / "attachments").rglob("*") if p.is_file())


def upload(api, headers, code, data, name="photo.jpg", mime="image/jpeg"):
    return api.post(
        URL, headers=headers, data={"incident": code}, files={"file": (name, data, mime)}
    )


@pytest.mark.parametrize(("fmt", "media_type"), FORMATS)
def test_upload_strips_exif_and_serves_in_scope(
    api, auth, engine, store, cases, fmt, media_type
) -> None:
    sent = photo(fmt)
    assert Image.open(io.BytesIO(sent)).getexif().get_ifd(GPS_IFD) == GPS  # the test's premise
    before = rows(engine)
    # the name and claimed type lie: the type comes from the bytes
    answer = upload(api, auth("grid_worker"), cases["grid_worker"], sent, "x.txt", "text/plain")
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert set(body) == {"id", "sha256", "type", "bytes"}
    assert body["type"] == media_type
    served = api.get(f"{URL}/{body['id']}", headers=auth("grid_worker"))
    assert served.status_code == 200
    assert served.headers["content-type"] == media_type
    assert served.headers["etag"] == f'"{body["sha256"]}"'
    data = served.content
    assert len(data) == body["bytes"]
    assert hashlib.sha256(data).hexdigest() == body["sha256"]
    image = Image.open(io.BytesIO(data))
    assert image.format == fmt
    assert dict(image.getexif()) == {}
    assert image.getexif().get_ifd(GPS_IFD) == {}
    assert "exif" not in image.info and "xmp" not in image.info
    for marker in (b"Exif", b"WanggePhone", b"xmpmeta", b"40.341667"):
        assert marker not in data
    assert image.size == (48, 64)  # orientation 6 applied to the pixels before the tag went
    assert image.convert("RGB").getpixel((24, 5))[0] > 150  # the red half is now on top
    assert image.convert("RGB").getpixel((24, 60)) in ((255, 255, 255), (254, 254, 254))
    stored = store / "attachments" / body["sha256"][:2] / body["sha256"]
    assert stored.read_bytes() == data
    assert rows(engine) == before + 1
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT a.sha256, a.media_type, a.bytes, i.code, a.uploaded_by FROM attachment a "
                "JOIN incident i ON i.id = a.incident_id WHERE a.id = :id"
            ),
            {"id": body["id"]},
        ).one()
    assert tuple(row) == (
        body["sha256"],
        media_type,
        body["bytes"],
        cases["grid_worker"],
        "grid_worker",
    )
    # who may see the case may see the photo; anyone else gets what a missing id gets
    for who, status in (("admin", 200), ("command", 200), ("township", 200)):
        assert api.get(f"{URL}/{body['id']}", headers=auth(who)).status_code == status
    outside = api.get(f"{URL}/{body['id']}", headers=auth("grid_worker_peer"))
    missing = api.get(f"{URL}/987654321", headers=auth("grid_worker_peer"))
    assert outside.status_code == missing.status_code == 404
    assert outside.json()["code"] == "not_found"
    assert outside.text.replace(str(body["id"]), "<id>") == missing.text.replace(
        "987654321", "<id>"
    )
    assert api.get(f"{URL}/{body['id']}").status_code == 401


def test_same_photo_twice_is_two_rows_one_file(api, auth, engine, store, cases) -> None:
    sent = photo("PNG", (30, 20), orientation=1)
    before_rows, before_files = rows(engine), len(files(store))
    first = upload(api, auth("grid_worker"), cases["grid_worker"], sent, "a.png", "image/png")
    second = upload(api, auth("admin"), cases["grid_worker"], sent, "b.png", "image/png")
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]
    assert first.json()["sha256"] == second.json()["sha256"]
    assert rows(engine) == before_rows + 2
    assert len(files(store)) == before_files + 1


def gif() -> bytes:
    """A real image in a format that is not accepted."""
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "GIF")
    return out.getvalue()


BAD_FILES = {
    "text": b"this is not a photo",
    "gif": gif(),
    "truncated_jpeg": photo("JPEG", (400, 300))[:900],
    "empty": b"",
    "html_named_jpeg": b"<html><script>alert(1)</script></html>",
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_not_an_image_is_422_and_nothing_written(api, auth, engine, store, cases, kind) -> None:
    before_rows, before_files = rows(engine), files(store)
    answer = upload(api, auth("grid_worker"), cases["grid_worker"], BAD_FILES[kind])
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["code"] == "invalid"
    assert [(e["where"], e["field"]) for e in body["errors"]] == [("body", "file")]
    assert rows(engine) == before_rows
    assert files(store) == before_files


def test_over_10_mb_is_413_and_nothing_written(api, auth, engine, store, cases) -> None:
    before_rows, before_files = rows(engine), files(store)
    just_over = b"\xff\xd8" + b"\x00" * (10 * 1024 * 1024 - 1)  # 10 MB + 1 byte, under the body cap
    answer = upload(api, auth("grid_worker"), cases["grid_worker"], just_over)
    assert answer.status_code == 413, answer.text
    assert answer.json()["code"] == "too_large"
    assert answer.json()["errors"][0]["field"] == "file"
    far_over = b"\x00" * (11 * 1024 * 1024)  # past the body cap: refused while streaming
    answer = upload(api, auth("grid_worker"), cases["grid_worker"], far_over)
    assert answer.status_code == 413
    assert answer.json()["code"] == "too_large"
    assert rows(engine) == before_rows
    assert files(store) == before_files


def test_case_out_of_scope_or_missing_is_404_and_nothing_written(
    api, auth, engine, store, cases
) -> None:
    before_rows, before_files = rows(engine), files(store)
    for code in (cases["grid_worker_peer"], "DLT-1999-000001"):
        answer = upload(api, auth("grid_worker"), code, photo())
        assert answer.status_code == 404, answer.text
        assert answer.json()["code"] == "not_found"
    missing_field = api.post(
        URL, headers=auth("grid_worker"), files={"file": ("p.jpg", photo(), "image/jpeg")}
    )
    assert missing_field.status_code == 422
    assert [e["field"] for e in missing_field.json()["errors"]] == ["incident"]
    anonymous = upload(api, {}, cases["grid_worker"], photo())
    assert anonymous.status_code == 401
    assert rows(engine) == before_rows
    assert files(store) == before_files


def test_a_store_that_cannot_write_rolls_the_row_back(
    database, auth, engine, cases, tmp_path
) -> None:
    blocked = tmp_path / "data"
    blocked.mkdir()
    (blocked / "attachments").write_text("a file where the folder should be")
    settings = Settings(database_url=database.service_url, load_sample_data=False, data_dir=blocked)
    before = rows(engine)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        answer = upload(
            client, auth("grid_worker"), cases["grid_worker"], photo(), str(uuid.uuid4())
        )
    assert answer.status_code == 503
    assert answer.json()["code"] == "unavailable"
    assert rows(engine) == before
