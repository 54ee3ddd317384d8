import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.factories import TweetFactory
from tests.shapes import tweet_json
from tests.tweets.helpers import image_bytes, image_upload, media_files, stored_path
from tweets.models import Tweet, TweetPhoto

pytestmark = pytest.mark.django_db


def post(client, **data):
    return client.post("/api/v1/tweets/", data, format="multipart")


def open_stored(url: str) -> Image.Image:
    image = Image.open(stored_path(url))
    image.load()
    return image


def test_tweet_with_one_photo(auth_client):
    response = post(auth_client, text="look", photos=[image_upload("JPEG", size=(64, 48))])

    assert response.status_code == 201
    tweet = Tweet.objects.get()
    photo = TweetPhoto.objects.get(tweet=tweet)
    url = f"http://testserver/media/{photo.image.name}"
    photos = [{"url": url, "width": 64, "height": 48, "alt_text": ""}]
    assert response.json() == tweet_json(tweet, photos=photos)
    assert photo.image.name.startswith("tweets/") and photo.image.name.endswith(".jpg")
    assert open_stored(url).format == "JPEG"
    assert media_files() == [stored_path(url)]


def test_tweet_with_four_photos_of_every_format_keeps_their_order_and_sizes(auth_client):
    uploads = [
        image_upload("JPEG", size=(40, 30)),
        image_upload("PNG", size=(31, 41)),
        image_upload("GIF", size=(20, 22), mode="P"),
        image_upload("WEBP", size=(50, 10)),
    ]

    response = post(auth_client, text="four", photos=uploads)

    assert response.status_code == 201
    photos = response.json()["photos"]
    assert [(p["width"], p["height"]) for p in photos] == [(40, 30), (31, 41), (20, 22), (50, 10)]
    # GIF keeps its first frame, stored as PNG; the others keep their format.
    assert [open_stored(p["url"]).format for p in photos] == ["JPEG", "PNG", "PNG", "WEBP"]
    assert all(p["url"].startswith("http://testserver/media/tweets/") for p in photos)
    assert len(media_files()) == 4


def test_photo_only_tweet_has_empty_text(auth_client):
    response = post(auth_client, photos=[image_upload("PNG")])

    assert response.status_code == 201
    body = response.json()
    assert body["text"] == ""
    assert len(body["photos"]) == 1


def test_exif_and_gps_are_stripped_and_orientation_applied(auth_client):
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (52.0, 13.0, 7.5)
    raw = image_bytes("JPEG", size=(40, 20), exif=exif.tobytes())
    source = Image.open(io.BytesIO(raw))
    assert source.getexif().get_ifd(0x8825)[2] == (52.0, 13.0, 7.5)  # the upload has GPS

    response = post(
        auth_client, photos=[SimpleUploadedFile("me.jpg", raw, content_type="image/jpeg")]
    )

    assert response.status_code == 201
    [photo] = response.json()["photos"]
    stored = open_stored(photo["url"])
    assert (photo["width"], photo["height"]) == (20, 40) == stored.size
    assert dict(stored.getexif()) == {}
    assert "exif" not in stored.info
    assert b"SpyCam" not in stored_path(photo["url"]).read_bytes()


def test_five_photos_is_400(auth_client):
    response = post(auth_client, text="too many", photos=[image_upload("PNG") for _ in range(5)])

    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_error",
        "detail": "Invalid input.",
        "fields": {"photos": ["Ensure this field has no more than 4 elements."]},
    }
    assert not Tweet.objects.exists()
    assert media_files() == []


INVALID_IMAGE = {"code": "invalid_image", "detail": "Upload a valid JPEG, PNG, GIF or WebP image."}


def test_a_bad_fourth_photo_rejects_the_tweet_and_leaves_no_file(auth_client):
    good = [image_upload("JPEG"), image_upload("PNG"), image_upload("WEBP")]
    bad = SimpleUploadedFile("evil.jpg", b"this is not a picture\n" * 10, content_type="image/jpeg")

    response = post(auth_client, text="almost", photos=[*good, bad])

    assert response.status_code == 400
    assert response.json() == INVALID_IMAGE
    assert not Tweet.objects.exists()
    assert not TweetPhoto.objects.exists()
    assert media_files() == []


@pytest.mark.parametrize("fmt", ["BMP", "TIFF"])
def test_a_disguised_format_is_400(auth_client, fmt):
    disguised = image_upload(fmt, name="innocent.png")

    response = post(auth_client, text="sneaky", photos=[disguised])

    assert response.status_code == 400
    assert response.json() == INVALID_IMAGE
    assert not Tweet.objects.exists()
    assert media_files() == []


def test_a_truncated_image_is_400(auth_client):
    raw = image_bytes("PNG", size=(64, 64))
    truncated = SimpleUploadedFile("cut.png", raw[: len(raw) // 2], content_type="image/png")

    response = post(auth_client, photos=[truncated])

    assert response.status_code == 400
    assert response.json() == INVALID_IMAGE
    assert media_files() == []


def test_an_empty_file_is_400(auth_client):
    response = post(auth_client, photos=[SimpleUploadedFile("empty.jpg", b"")])

    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_error",
        "detail": "Invalid input.",
        "fields": {"photos": {"0": ["The submitted file is empty."]}},
    }


def test_a_photo_over_the_byte_limit_is_413(auth_client, settings):
    upload = image_upload("PNG", size=(64, 64))
    settings.TWEET_PHOTO_MAX_BYTES = upload.size - 1

    response = post(auth_client, text="big", photos=[image_upload("JPEG"), upload])

    assert response.status_code == 413
    body = response.json()
    assert (set(body), body["code"]) == ({"code", "detail"}, "image_too_large")
    assert not Tweet.objects.exists()
    assert media_files() == []


def test_a_photo_over_the_pixel_limit_is_413(auth_client, settings):
    settings.TWEET_PHOTO_MAX_PIXELS = 100 * 100 - 1

    response = post(
        auth_client, text="wide", photos=[image_upload("GIF", size=(100, 100), mode="P")]
    )

    assert response.status_code == 413
    assert response.json() == {
        "code": "image_too_large",
        "detail": "Images may have at most 9,999 pixels.",
    }
    assert not Tweet.objects.exists()
    assert media_files() == []


def test_large_photos_are_scaled_to_the_max_side(auth_client, settings):
    settings.TWEET_PHOTO_MAX_SIDE = 32

    response = post(auth_client, photos=[image_upload("JPEG", size=(128, 64))])

    [photo] = response.json()["photos"]
    assert (photo["width"], photo["height"]) == (32, 16) == open_stored(photo["url"]).size


def test_photo_files_are_deleted_with_the_tweet(
    user, auth_client, django_capture_on_commit_callbacks
):
    tweet = TweetFactory(user=user, text="bye", photos=[image_upload("JPEG"), image_upload("PNG")])
    assert len(media_files()) == 2

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.delete(f"/api/v1/tweets/{tweet.pk}/")

    assert response.status_code == 204
    assert not TweetPhoto.objects.exists()
    assert media_files() == []


def test_photo_files_stay_when_the_delete_is_refused(
    auth_client, django_capture_on_commit_callbacks
):
    tweet = TweetFactory(text="not yours", photos=[image_upload("JPEG")])

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = auth_client.delete(f"/api/v1/tweets/{tweet.pk}/")

    assert response.status_code == 403
    assert callbacks == []
    assert len(media_files()) == 1


# --- decompression bombs: refused from the header, before any pixel is decoded ------------


def bilevel_png(size: tuple[int, int]) -> bytes:
    """A 1-bit PNG of one colour: a few kilobytes that declare `size` pixels."""
    buffer = io.BytesIO()
    Image.new("1", size).save(buffer, format="PNG")
    return buffer.getvalue()


def png_upload(data: bytes, name: str = "bomb.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/png")


def assert_refused_as_a_bomb(response) -> None:
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_image"
    assert body["detail"].startswith("The image declares 36,000,000 pixels in ")
    assert body["detail"].endswith("images may have at most 256 pixels per byte.")
    assert not Tweet.objects.exists()
    assert media_files() == []


def test_a_tiny_png_declaring_6000_by_6000_pixels_is_400(auth_client):
    bomb = bilevel_png((6000, 6000))
    assert len(bomb) < 5000  # 36 megapixels in under 5 KB: 7,000+ pixels per byte

    assert_refused_as_a_bomb(post(auth_client, text="boom", photos=[png_upload(bomb)]))


def test_four_bombs_in_one_tweet_are_400(auth_client):
    bomb = bilevel_png((6000, 6000))

    photos = [png_upload(bomb, f"bomb{n}.png") for n in range(4)]
    assert_refused_as_a_bomb(post(auth_client, photos=photos))


def test_a_bomb_is_refused_from_its_header_without_decoding_its_pixels(auth_client):
    # The same header, its compressed pixel data replaced by garbage: decoding it would fail
    # ("Upload a valid ... image"), so the bomb answer proves no pixel was decoded.
    bomb = bilevel_png((6000, 6000))
    start = bomb.index(b"IDAT") + 4
    garbage = bomb[:start] + b"\xff" * (len(bomb) - start - 12) + bomb[-12:]

    assert_refused_as_a_bomb(post(auth_client, photos=[png_upload(garbage)]))


@pytest.mark.slow
def test_a_12_megapixel_photo_still_passes(auth_client):
    # A 4000x3000 photo-like JPEG (noise over a gradient): a few pixels per byte.
    noise = Image.effect_noise((4000, 3000), 16)
    gradient = Image.linear_gradient("L").resize((4000, 3000))
    buffer = io.BytesIO()
    Image.merge("RGB", [noise, gradient, noise]).save(buffer, format="JPEG", quality=80)
    photo = SimpleUploadedFile("photo.jpg", buffer.getvalue(), content_type="image/jpeg")

    response = post(auth_client, text="a real photo", photos=[photo])

    assert response.status_code == 201
    [stored] = response.json()["photos"]
    assert (stored["width"], stored["height"]) == (4000, 3000)


def test_a_small_image_may_compress_well(auth_client):
    # Below 4 megapixels the work is cheap whatever the file's size: a blank 1-bit
    # 2000x2000 PNG (hundreds of bytes) is fine.
    response = post(auth_client, photos=[png_upload(bilevel_png((2000, 2000)), "blank.png")])

    assert response.status_code == 201
    [stored] = response.json()["photos"]
    assert (stored["width"], stored["height"]) == (2000, 2000)
