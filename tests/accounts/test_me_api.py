import io
import re
import struct
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.models import User
from tests.factories import UserFactory
from tests.shapes import ANY, error, me_json

ME = "/api/v1/me/"
ME_AVATAR = "/api/v1/me/avatar/"
EXIF_MAKE = 0x010F
EXIF_GPS_IFD = 0x8825

pytestmark = pytest.mark.django_db


def image_bytes(fmt: str = "PNG", size=(64, 48), color=(200, 30, 30), **save_options) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt, **save_options)
    return buffer.getvalue()


def jpeg_with_gps(size=(800, 600)) -> bytes:
    exif = Image.Exif()
    exif[EXIF_MAKE] = "SpyCam"
    exif[EXIF_GPS_IFD] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}
    data = image_bytes("JPEG", size=size, exif=exif)
    with Image.open(io.BytesIO(data)) as source:  # the fixture really carries the metadata
        assert source.getexif()[EXIF_MAKE] == "SpyCam"
        assert source.getexif().get_ifd(EXIF_GPS_IFD)
    return data


def png_claiming(width: int, height: int) -> bytes:
    """A PNG header announcing `width` x `height` pixels, with almost no pixel data."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + chunk(b"IEND", b"")
    )


def upload(client, data: bytes, name: str = "avatar.png", content_type: str = "image/png"):
    file = SimpleUploadedFile(name, data, content_type=content_type)
    return client.patch(ME, {"avatar": file}, format="multipart")


def stored_path(settings, avatar_url: str) -> Path:
    relative = avatar_url.split(settings.MEDIA_URL, 1)[1]
    return Path(settings.MEDIA_ROOT) / relative


# --- GET ---------------------------------------------------------------------------------


def test_get_me_answers_the_whole_me_object(auth_client, user):
    response = auth_client.get(ME)

    assert response.status_code == 200
    assert response.json() == me_json(user)
    assert response.json()["email"] == user.email


def test_get_me_anonymously_is_401(api_client):
    response = api_client.get(ME)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


# --- PATCH profile fields ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("display_name", "D" * 50),
        ("bio", "b" * 160),
        ("location", "l" * 30),
        ("website", "https://alice.example/about"),
        ("display_name", ""),
        ("bio", ""),
        ("website", ""),
    ],
)
def test_patch_me_updates_a_field_up_to_its_limit(auth_client, user, field, value):
    response = auth_client.patch(ME, {field: value})

    assert response.status_code == 200
    user.refresh_from_db()
    assert getattr(user, field) == value
    assert response.json() == me_json(user, **{field: value})


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("display_name", "D" * 51, "Ensure this field has no more than 50 characters."),
        ("bio", "b" * 161, "Ensure this field has no more than 160 characters."),
        ("location", "l" * 31, "Ensure this field has no more than 30 characters."),
        ("website", "not a url", "Enter a valid URL."),
        ("website", "javascript:alert(1)", "Enter a valid URL."),
    ],
)
def test_patch_me_refuses_a_field_over_its_limit(auth_client, user, field, value, message):
    before = getattr(user, field)

    response = auth_client.patch(ME, {field: value})

    assert response.status_code == 400
    assert response.json() == error("validation_error", "Invalid input.", {field: [message]})
    user.refresh_from_db()
    assert getattr(user, field) == before


def test_patch_me_changes_several_fields_at_once(auth_client, user):
    changes = {"display_name": "Alice A.", "bio": "Hi!", "location": "Paris"}

    response = auth_client.patch(ME, changes)

    assert response.status_code == 200
    user.refresh_from_db()
    assert response.json() == me_json(user, **changes)


def test_patch_me_changes_the_username(auth_client, user):
    response = auth_client.patch(ME, {"username": "New_Name"})

    assert response.status_code == 200
    assert response.json()["username"] == "New_Name"
    user.refresh_from_db()
    assert user.username == "New_Name"
    assert auth_client.get("/api/v1/users/new_name/").status_code == 200


def test_patch_me_may_change_the_case_of_the_own_username(auth_client, user):
    response = auth_client.patch(ME, {"username": user.username.upper()})

    assert response.status_code == 200
    assert response.json()["username"] == user.username.upper()


def test_patch_me_to_a_taken_username_in_another_case_is_400(auth_client, user):
    UserFactory(username="Taken")

    response = auth_client.patch(ME, {"username": "tAKEN"})

    assert response.status_code == 400
    assert response.json() == error(
        "validation_error", "Invalid input.", {"username": ["That username is taken."]}
    )
    assert User.objects.get(pk=user.pk).username == user.username


def test_patch_me_to_an_invalid_username_is_400(auth_client):
    response = auth_client.patch(ME, {"username": "no spaces"})

    assert response.status_code == 400
    assert response.json() == error(
        "validation_error",
        "Invalid input.",
        {"username": ["Usernames are 1 to 30 letters, digits or underscores."]},
    )


def test_patch_me_email_unverifies_it_and_sends_a_verification_email(
    auth_client, user, mailoutbox, django_capture_on_commit_callbacks
):
    assert user.email_verified is True

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.patch(ME, {"email": "New.Address@Example.com"})

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.email == "new.address@example.com"
    assert user.email_verified is False
    assert response.json() == me_json(user, email="new.address@example.com", email_verified=False)
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["new.address@example.com"]


def test_patch_me_with_the_same_email_in_another_case_changes_nothing(
    auth_client, user, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.patch(ME, {"email": user.email.upper()})

    assert response.status_code == 200
    assert response.json()["email_verified"] is True
    assert mailoutbox == []


def test_patch_me_to_a_taken_email_is_400_and_sends_nothing(
    auth_client, user, mailoutbox, django_capture_on_commit_callbacks
):
    UserFactory(email="taken@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.patch(ME, {"email": "TAKEN@example.com"})

    assert response.status_code == 400
    assert response.json() == error(
        "validation_error",
        "Invalid input.",
        {"email": ["An account with that email already exists."]},
    )
    assert mailoutbox == []
    user.refresh_from_db()
    assert user.email_verified is True


@pytest.mark.parametrize(
    ("payload", "named"),
    [
        ({"followers_count": 1000}, ["followers_count"]),
        ({"is_staff": True}, ["is_staff"]),
        ({"email_verified": True}, ["email_verified"]),
        ({"is_superuser": True, "bio": "x"}, ["is_superuser"]),
        ({"password": "sneaky-password-1", "id": 1}, ["id", "password"]),
        ({"favourite_colour": "blue"}, ["favourite_colour"]),
    ],
)
def test_patch_me_refuses_unknown_and_readonly_fields_by_name(auth_client, user, payload, named):
    response = auth_client.patch(ME, payload)

    assert response.status_code == 400
    assert response.json() == error(
        "validation_error",
        "Invalid input.",
        {name: ["Unknown field."] for name in named},
    )
    fresh = User.objects.get(pk=user.pk)
    assert (fresh.followers_count, fresh.is_staff, fresh.is_superuser) == (0, False, False)
    assert fresh.bio == user.bio


def test_patch_me_readonly_field_in_multipart_is_refused(auth_client, user):
    response = auth_client.patch(ME, {"is_staff": "true"}, format="multipart")

    assert response.status_code == 400
    assert response.json()["fields"] == {"is_staff": ["Unknown field."]}
    assert User.objects.get(pk=user.pk).is_staff is False


def test_patch_me_anonymously_is_401(api_client):
    response = api_client.patch(ME, {"bio": "x"})

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


# --- avatar ------------------------------------------------------------------------------


def test_avatar_upload_is_reencoded_without_exif_and_resized(
    auth_client, user, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(auth_client, jpeg_with_gps((800, 600)), "me.jpg", "image/jpeg")

    assert response.status_code == 200
    user.refresh_from_db()
    body = response.json()
    assert body == me_json(user, avatar_url=ANY)
    assert re.fullmatch(
        rf"http://testserver{settings.MEDIA_URL}avatars/{user.pk}/[0-9a-f]{{32}}\.jpg",
        body["avatar_url"],
    )
    path = stored_path(settings, body["avatar_url"])
    raw = path.read_bytes()
    assert b"SpyCam" not in raw
    assert b"Exif" not in raw
    with Image.open(path) as stored:
        assert stored.format == "JPEG"
        assert max(stored.size) <= settings.AVATAR_SIZE
        assert stored.size == (400, 300)
        assert len(stored.getexif()) == 0
        assert "exif" not in stored.info


def test_avatar_png_stays_png_and_small_images_keep_their_size(auth_client, settings):
    response = upload(auth_client, image_bytes("PNG", size=(120, 80)))

    assert response.status_code == 200
    avatar_url = response.json()["avatar_url"]
    assert avatar_url.endswith(".png")
    with Image.open(stored_path(settings, avatar_url)) as stored:
        assert (stored.format, stored.size) == ("PNG", (120, 80))


@pytest.mark.parametrize(("fmt", "extension"), [("GIF", "png"), ("WEBP", "webp")])
def test_avatar_accepts_gif_and_webp(auth_client, settings, fmt, extension):
    response = upload(auth_client, image_bytes(fmt), f"a.{fmt.lower()}", f"image/{fmt.lower()}")

    assert response.status_code == 200
    assert response.json()["avatar_url"].endswith(f".{extension}")


def test_avatar_that_is_not_an_image_is_400_invalid_image(auth_client, user):
    response = upload(auth_client, b"definitely not a picture\n" * 10, "cat.png")

    assert response.status_code == 400
    assert response.json() == error("invalid_image", "Upload a valid JPEG, PNG, GIF or WebP image.")
    assert not User.objects.get(pk=user.pk).avatar


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(image_bytes("BMP"), id="bmp"),
        pytest.param(image_bytes("TIFF"), id="tiff"),
        pytest.param(
            b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
            b"<script>alert(1)</script></svg>",
            id="svg",
        ),
        pytest.param(image_bytes("PNG")[:40], id="truncated-png"),
    ],
)
def test_avatar_in_a_disguised_format_is_400_invalid_image(auth_client, user, data):
    response = upload(auth_client, data, "innocent.jpg", "image/jpeg")

    assert response.status_code == 400
    assert response.json() == error("invalid_image", "Upload a valid JPEG, PNG, GIF or WebP image.")
    assert not User.objects.get(pk=user.pk).avatar


def test_avatar_declaring_far_more_pixels_than_its_bytes_is_400_invalid_image(auth_client, user):
    # 16 megapixels (under the avatar's pixel cap) in a 1-bit PNG of about 2 KB.
    buffer = io.BytesIO()
    Image.new("1", (4000, 4000)).save(buffer, format="PNG")

    response = upload(auth_client, buffer.getvalue(), "bomb.png")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_image"
    assert body["detail"].endswith("images may have at most 256 pixels per byte.")
    assert not User.objects.get(pk=user.pk).avatar


def test_empty_avatar_is_400(auth_client):
    response = upload(auth_client, b"", "empty.png")

    assert response.status_code == 400
    assert response.json() == error(
        "validation_error", "Invalid input.", {"avatar": ["The submitted file is empty."]}
    )


def test_avatar_over_the_byte_cap_is_413(auth_client, user, settings):
    settings.AVATAR_MAX_BYTES = 1024
    data = image_bytes("BMP", size=(40, 40))  # any bytes: the cap applies before decoding
    assert len(data) > 1024

    response = upload(auth_client, data)

    assert response.status_code == 413
    assert response.json() == error("image_too_large", "Images may be at most 1 KB.")
    assert not User.objects.get(pk=user.pk).avatar


def test_avatar_over_the_pixel_cap_is_413(auth_client, user, settings):
    settings.AVATAR_MAX_PIXELS = 100

    response = upload(auth_client, image_bytes("PNG", size=(20, 20)))

    assert response.status_code == 413
    assert response.json() == error("image_too_large", "Images may have at most 100 pixels.")
    assert not User.objects.get(pk=user.pk).avatar


@pytest.mark.parametrize("side", [6_000, 100_000])
def test_avatar_whose_header_claims_huge_dimensions_is_413(auth_client, user, side):
    response = upload(auth_client, png_claiming(side, side))

    assert response.status_code == 413
    assert response.json()["code"] == "image_too_large"
    assert not User.objects.get(pk=user.pk).avatar


def test_a_new_avatar_replaces_and_deletes_the_old_file(
    auth_client, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = upload(auth_client, image_bytes("PNG")).json()["avatar_url"]
    old_path = stored_path(settings, first)
    assert old_path.exists()

    with django_capture_on_commit_callbacks(execute=True):
        second = upload(auth_client, image_bytes("JPEG"), "b.jpg", "image/jpeg")

    assert second.status_code == 200
    new_path = stored_path(settings, second.json()["avatar_url"])
    assert new_path != old_path
    assert new_path.exists()
    assert not old_path.exists()


def test_a_failed_patch_keeps_the_old_avatar(
    auth_client, settings, django_capture_on_commit_callbacks
):
    UserFactory(username="taken")
    with django_capture_on_commit_callbacks(execute=True):
        first = upload(auth_client, image_bytes("PNG")).json()["avatar_url"]
    old_path = stored_path(settings, first)
    files_before = sorted(old_path.parent.iterdir())

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        file = SimpleUploadedFile("b.png", image_bytes("PNG"), content_type="image/png")
        response = auth_client.patch(ME, {"avatar": file, "username": "taken"}, format="multipart")

    assert response.status_code == 400
    assert callbacks == []
    assert old_path.exists()
    assert sorted(old_path.parent.iterdir()) == files_before
    assert auth_client.get(ME).json()["avatar_url"] == first


def test_delete_avatar_clears_it_and_removes_the_file(
    auth_client, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        avatar_url = upload(auth_client, image_bytes("PNG")).json()["avatar_url"]
    path = stored_path(settings, avatar_url)

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.delete(ME_AVATAR)

    assert response.status_code == 204
    assert response.content == b""
    assert not path.exists()
    assert auth_client.get(ME).json()["avatar_url"] is None


def test_delete_avatar_without_one_is_204(auth_client):
    response = auth_client.delete(ME_AVATAR)

    assert response.status_code == 204


def test_delete_avatar_anonymously_is_401(api_client):
    response = api_client.delete(ME_AVATAR)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
