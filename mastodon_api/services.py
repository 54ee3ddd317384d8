"""The layer's own writes: app registrations and uploaded media. Everything a status,
a follow or a favourite does is Chirp's services', called by the views."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import get_application_model

from core.exceptions import FieldValidationError, NotFound
from mastodon_api.models import AppRegistration, MediaUpload
from tweets import services as tweet_services


@transaction.atomic
def register_app(*, name: str, redirect_uris: list[str], scopes: list[str], website: str):
    """A confidential OAuth client for a Mastodon app. Returns (application, registration,
    the client secret): the secret is stored hashed and shown this once."""
    unknown = sorted(set(scopes) - set(settings.MASTODON_SCOPES))
    if unknown:
        raise FieldValidationError({"scopes": [f"Unknown scope: {' '.join(unknown)}."]})
    Application = get_application_model()
    secret = generate_client_secret()
    app = Application.objects.create(
        name=name,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(redirect_uris),
        client_secret=secret,
        skip_authorization=False,
    )
    registration = AppRegistration.objects.create(
        application=app, scopes=" ".join(scopes), website=website
    )
    return app, registration, secret


@transaction.atomic
def upload_media(*, user, file, description: str = "") -> MediaUpload:
    """Validate and re-encode a photo as a tweet's photo is (tweets.services.process_photo)
    and keep it until a status attaches it."""
    image = tweet_services.process_photo(file)
    upload = MediaUpload(user=user, width=image.width, height=image.height, description=description)
    upload.image.save(f"photo.{image.extension}", image.content, save=False)
    name = upload.image.name
    try:
        upload.save()
    except Exception:
        upload.image.storage.delete(name)
        raise
    return upload


@transaction.atomic
def update_media(*, user, media_id: int, description: str) -> MediaUpload:
    upload = MediaUpload.objects.select_for_update().filter(pk=media_id, user=user).first()
    if upload is None:
        raise NotFound("Record not found")
    upload.description = description
    upload.save(update_fields=["description"])
    return upload


def take_media(*, user, media_ids: list[int]) -> list[MediaUpload]:
    """The caller's uploads in the order given; NotFound for one that is not theirs."""
    uploads = {
        upload.pk: upload for upload in MediaUpload.objects.filter(pk__in=media_ids, user=user)
    }
    missing = [pk for pk in media_ids if pk not in uploads]
    if missing:
        raise NotFound("Record not found")
    return [uploads[pk] for pk in media_ids]


def post_status(
    *,
    author,
    text: str,
    media_ids: list[int],
    in_reply_to_id: int | None = None,
    quote_of_id: int | None = None,
):
    """tweets.services.create_tweet with the uploaded photos and their descriptions as alt
    texts; the uploads go once posted (their files after commit). Raises what
    create_tweet raises."""
    uploads = take_media(user=author, media_ids=media_ids)
    files = []
    for upload in uploads:
        upload.image.open("rb")
        files.append(upload.image)
    try:
        tweet = tweet_services.create_tweet(
            author=author,
            text=text,
            photos=files,
            alt_texts=[upload.description for upload in uploads],
            in_reply_to_id=in_reply_to_id,
            quote_of_id=quote_of_id,
        )
    finally:
        for file in files:
            file.close()
    names = [upload.image.name for upload in uploads]
    storage = MediaUpload._meta.get_field("image").storage
    with transaction.atomic():
        MediaUpload.objects.filter(pk__in=[upload.pk for upload in uploads]).delete()
        transaction.on_commit(lambda: [storage.delete(name) for name in names])
    return tweet


@transaction.atomic
def purge_media(*, older_than=None) -> int:
    """Delete uploads no status attached within MASTODON_MEDIA_TTL, and their files."""
    cutoff = older_than or timezone.now() - timedelta(seconds=settings.MASTODON_MEDIA_TTL)
    stale = list(MediaUpload.objects.filter(created_at__lt=cutoff))
    storage = MediaUpload._meta.get_field("image").storage
    names = [upload.image.name for upload in stale]
    MediaUpload.objects.filter(pk__in=[upload.pk for upload in stale]).delete()
    transaction.on_commit(lambda: [storage.delete(name) for name in names])
    return len(stale)
