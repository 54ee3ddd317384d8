"""Account deletion and data export: the writes (docs/lifecycle.md).

Deleting an account touches every app, so this app sits above them all: it proves who is
asking, closes the account at once (accounts), then purges in steps, each a batch in its
own transaction through the owning app's service, so every counter of other users moves as
an unfollow, an unlike or a delete would (docs/reliability.md I3). A step looks at what is
left, not at what was done, so running it again, or after a crash, or twice at once,
finishes the work and counts nothing twice.

A job (a purge, an export) is held by one worker at a time through its row's lease; a
worker runs it for LIFECYCLE_TASK_SECONDS and hands the rest to a new task. A worker that
dies leaves its lease to expire: the reconciler (`resume`, on beat) enqueues the job again.
"""

import json
import logging
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from datetime import timedelta

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from accounts import services as account_services
from accounts.models import User
from core.exceptions import FieldValidationError
from core.tasks import enqueue_on_commit
from facebook_connect.services.connection import forget_user as forget_facebook_data
from facebook_connect.services.tokens import token_proves
from friendships import services as friendship_services
from friendships.models import Friendship
from lifecycle import tasks
from lifecycle.models import AccountDeletion, DataExport, export_storage
from messaging import services as messaging_services
from messaging.models import Message
from newsfeeds import services as newsfeed_services
from notifications import services as notification_services
from notifications.models import Notification
from safety.models import Block, Mute
from tweets import services as tweet_services
from tweets.models import Bookmark, Comment, Like, Pin, Tweet, TweetEdit, TweetPhoto

logger = logging.getLogger(__name__)


# --- deletion ----------------------------------------------------------------------------


def delete_account(
    *, user: User, password: str | None = None, access_token: str | None = None
) -> AccountDeletion:
    """DELETE /me/: check the proof (the password; a Facebook-only account, a Facebook
    token of its linked account, checked with Facebook now), then at once: no login, tokens
    revoked, sockets closed, profile gone (accounts.services.close_account); the purge is
    enqueued after commit.

    Raises FieldValidationError (missing or wrong proof), FacebookTokenInvalid,
    FacebookUnavailable.
    """
    _check_proof(user, password=password, access_token=access_token)
    with transaction.atomic():
        account_services.close_account(user=user)
        deletion, _ = AccountDeletion.objects.get_or_create(user_id=user.pk)
        enqueue_on_commit(tasks.purge_account, user.pk)
    return deletion


def _check_proof(user: User, *, password: str | None, access_token: str | None) -> None:
    if user.has_usable_password():
        if not password:
            raise FieldValidationError({"password": ["Type your password to delete the account."]})
        if not user.check_password(password):
            raise FieldValidationError({"password": ["The password is incorrect."]})
        return
    if not access_token:
        raise FieldValidationError(
            {"access_token": ["This account logs in with Facebook: send a Facebook access token."]}
        )
    # Graph is asked outside any transaction: no row is locked while it answers.
    if not token_proves(user_id=user.pk, access_token=access_token):
        raise FieldValidationError(
            {"access_token": ["This token is not the Facebook account connected to yours."]}
        )


def _once(work: Callable[..., object]) -> Callable[..., int]:
    """A step done in one call (few rows): 0, "nothing left", once it ran."""

    def step(*, user_id: int, limit: int) -> int:
        work(user_id=user_id)
        return 0

    return step


def _forget_exports(*, user_id: int) -> None:
    for export in DataExport.objects.filter(user_id=user_id):
        _delete_export_files(export)
        export.delete()


# In order: follows first (the counters of followers and followees, their feeds), then
# what the user did to others' content, then their own content (others' retweets, likes and
# comments of it go with it), then what is only theirs. The last step erases the files and
# token records left on the account row.
PURGE_STEPS: tuple[tuple[str, Callable[..., int]], ...] = (
    ("follows", friendship_services.forget_follows_of),
    ("likes", tweet_services.forget_likes_by),
    ("comments", tweet_services.forget_comments_by),
    ("tweets", tweet_services.forget_tweets_by),
    ("mentions", tweet_services.forget_mentions_of),
    ("bookmarks", tweet_services.forget_bookmarks_of),
    ("feed", newsfeed_services.forget_feed_of),
    ("notifications", notification_services.forget_notifications_of),
    ("messages", messaging_services.forget_messages_of),
    ("shields", _once(friendship_services.forget_shields_of)),
    ("facebook", _once(forget_facebook_data)),
    ("exports", _once(_forget_exports)),
    ("account", _once(account_services.erase_account)),
)
STEP_NAMES = [name for name, _ in PURGE_STEPS]


def _lease() -> timedelta:
    return timedelta(seconds=settings.LIFECYCLE_LEASE_SECONDS)


def _take_lease(model, pk: int, unfinished: Q):
    """The job's row, its lease taken by this worker until now + LIFECYCLE_LEASE_SECONDS;
    otherwise what the task answers: None while another worker holds a live lease, True
    when the job is finished or gone."""
    with transaction.atomic():
        job = model.objects.select_for_update().filter(unfinished, pk=pk).first()
        now = timezone.now()
        if job is None:
            return True
        if job.lease_until is not None and job.lease_until > now:
            return None
        job.lease_until = now + _lease()
        job.save(update_fields=["lease_until"])
        return job


def purge_account(*, user_id: int) -> bool | None:
    """Work on the account's purge for at most LIFECYCLE_TASK_SECONDS. True: finished (or
    nothing to do); False: time is up, the caller enqueues the rest; None: another worker
    holds the job."""
    deletion = _take_lease(AccountDeletion, user_id, Q(status=AccountDeletion.PENDING))
    if not isinstance(deletion, AccountDeletion):
        return deletion
    deadline = time.monotonic() + settings.LIFECYCLE_TASK_SECONDS
    start = STEP_NAMES.index(deletion.step) if deletion.step in STEP_NAMES else 0
    for name, work in PURGE_STEPS[start:]:
        while work(user_id=user_id, limit=settings.ACCOUNT_PURGE_BATCH_SIZE):
            # A batch is done: the lease goes on, and the row says where we are.
            AccountDeletion.objects.filter(pk=user_id).update(
                step=name, lease_until=timezone.now() + _lease()
            )
            if time.monotonic() > deadline:
                AccountDeletion.objects.filter(pk=user_id).update(lease_until=None)
                return False
        following = STEP_NAMES.index(name) + 1
        AccountDeletion.objects.filter(pk=user_id).update(
            step=STEP_NAMES[following] if following < len(STEP_NAMES) else name
        )
    AccountDeletion.objects.filter(pk=user_id).update(
        status=AccountDeletion.DONE, completed_at=timezone.now(), lease_until=None
    )
    logger.info("account %s purged", user_id)
    return True


# --- reconciler --------------------------------------------------------------------------


def resume(*, older_than: timedelta | None = None, limit: int = 500) -> int:
    """Beat: enqueue again the purges and exports nobody works on (a worker died, the
    message was lost, the broker was down when they were asked for). Returns how many."""
    if older_than is None:
        older_than = _lease()
    now = timezone.now()
    deletions = list(
        AccountDeletion.objects.filter(status=AccountDeletion.PENDING)
        .filter(
            Q(lease_until__lt=now) | Q(lease_until__isnull=True, requested_at__lt=now - older_than)
        )
        .values_list("pk", flat=True)[:limit]
    )
    exports = list(
        DataExport.objects.filter(status__in=DataExport.UNFINISHED)
        .filter(
            Q(lease_until__lt=now) | Q(lease_until__isnull=True, created_at__lt=now - older_than)
        )
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    try:
        for user_id in deletions:
            tasks.purge_account.apply_async(args=(user_id,))
            sent += 1
        for export_id in exports:
            tasks.build_export.apply_async(args=(export_id,))
            sent += 1
    except Exception:
        logger.exception("the lifecycle reconciler could not enqueue; beat tries again")
    return sent


# --- exports -----------------------------------------------------------------------------


def request_export(*, user: User) -> tuple[DataExport, bool]:
    """POST /me/exports/: a new export, built in the background; or, while one is pending or
    running, that one (one at a time per user). Returns (export, created)."""
    running = _unfinished_export(user)
    if running is not None:
        return running, False
    try:
        with transaction.atomic():
            export = DataExport.objects.create(user=user)
            enqueue_on_commit(tasks.build_export, export.pk)
    except IntegrityError:
        # A concurrent request created it first (the unique constraint on running exports).
        running = _unfinished_export(user)
        if running is None:
            raise
        return running, False
    return export, True


def _unfinished_export(user: User) -> DataExport | None:
    return DataExport.objects.filter(user=user, status__in=DataExport.UNFINISHED).first()


def _photo_names(user_id: int) -> QuerySet:
    return TweetPhoto.objects.filter(tweet__user_id=user_id).order_by("pk")


def _rows_tweets(user_id: int) -> QuerySet:
    return Tweet.objects.filter(user_id=user_id).values(
        "id", "text", "created_at", "edited_at", "retweet_of_id", "in_reply_to_id",
        "quote_of_id", "likes_count", "retweets_count", "comments_count",
    )  # fmt: skip


def _rows_edits(user_id: int) -> QuerySet:
    """The texts the user's tweets had before each edit (the current text is in tweets)."""
    return TweetEdit.objects.filter(tweet__user_id=user_id).values(
        "id", "tweet_id", "text", "edited_at"
    )


def _rows_pins(user_id: int) -> QuerySet:
    return Pin.objects.filter(user_id=user_id).values("id", "tweet_id", "created_at")


def _rows_comments(user_id: int) -> QuerySet:
    return Comment.objects.filter(user_id=user_id).values(
        "id", "tweet_id", "text", "created_at", "likes_count"
    )


def _rows_likes(user_id: int) -> QuerySet:
    return Like.objects.filter(user_id=user_id).values("id", "tweet_id", "comment_id", "created_at")


def _rows_following(user_id: int) -> QuerySet:
    return Friendship.objects.filter(follower_id=user_id).values(
        "id", "created_at", username=F("followee__username")
    )


def _rows_followers(user_id: int) -> QuerySet:
    return Friendship.objects.filter(followee_id=user_id).values(
        "id", "created_at", username=F("follower__username")
    )


def _rows_bookmarks(user_id: int) -> QuerySet:
    return Bookmark.objects.filter(user_id=user_id).values("id", "tweet_id", "created_at")


def _rows_blocks(user_id: int) -> QuerySet:
    return Block.objects.filter(blocker_id=user_id).values(
        "id", "created_at", username=F("blocked__username")
    )


def _rows_mutes(user_id: int) -> QuerySet:
    return Mute.objects.filter(muter_id=user_id).values(
        "id", "created_at", "expires_at", username=F("muted__username")
    )


def _rows_messages(user_id: int) -> QuerySet:
    """Every message of the user's conversations, theirs and the others'."""
    return Message.objects.filter(conversation__members__user_id=user_id).values(
        "id", "conversation_id", "text", "created_at", sender_username=F("sender__username")
    )


def _rows_notifications(user_id: int) -> QuerySet:
    return Notification.objects.filter(recipient_id=user_id).values(
        "id",
        "verb",
        "tweet_id",
        "comment_id",
        "unread",
        "created_at",
        actor_username=F("actor__username"),
    )


def _rows_media(user_id: int) -> QuerySet:
    return _photo_names(user_id).values(
        "id", "tweet_id", "position", "width", "height", "alt_text", "image"
    )


# The archive's JSON files, each written a page of rows at a time (`<name>.json`: a list,
# by id), then the archive itself. `media.json` lists the photo files copied under media/.
EXPORT_PARTS: tuple[tuple[str, Callable[[int], QuerySet]], ...] = (
    ("tweets", _rows_tweets),
    ("comments", _rows_comments),
    ("likes", _rows_likes),
    ("following", _rows_following),
    ("followers", _rows_followers),
    ("bookmarks", _rows_bookmarks),
    ("messages", _rows_messages),
    ("notifications", _rows_notifications),
    ("media", _rows_media),
    # Added later: appended, so an export in flight across a deploy keeps its step numbers.
    ("edits", _rows_edits),
    ("pins", _rows_pins),
    ("blocks", _rows_blocks),
    ("mutes", _rows_mutes),
)
# One step per part, and the last: the profile, the archive, the clean-up.
EXPORT_STEPS = len(EXPORT_PARTS) + 1
PROFILE_FIELDS = (
    "id", "username", "email", "email_verified", "display_name", "bio", "location", "website",
    "is_protected", "date_joined", "followers_count", "following_count", "tweets_count",
)  # fmt: skip


def _part_dir(export: DataExport) -> str:
    return f"{export.user_id}/{export.token.hex}"


def _page_name(export: DataExport, step: int, page: int) -> str:
    return f"{_part_dir(export)}/{step:02d}-{page:06d}.json"


def _write(name: str, content: bytes) -> None:
    storage = export_storage()
    if storage.exists(name):
        storage.delete(name)  # a page written again after a crash replaces the first copy
    storage.save(name, ContentFile(content))


def build_export(*, export_id: int) -> bool | None:
    """Work on the export for at most LIFECYCLE_TASK_SECONDS: one page of one part per
    step, the row updated after each (progress, where the next page starts), then the zip.
    True: finished (or nothing to do); False: time is up, the caller enqueues the rest;
    None: another worker holds the job. An error is recorded on the row; after
    DATA_EXPORT_MAX_ATTEMPTS the export is `failed`."""
    export = _take_lease(DataExport, export_id, Q(status__in=DataExport.UNFINISHED))
    if not isinstance(export, DataExport):
        return export
    if export.status == DataExport.PENDING:
        export.status = DataExport.RUNNING
        export.save(update_fields=["status"])
    try:
        return _build(export, deadline=time.monotonic() + settings.LIFECYCLE_TASK_SECONDS)
    except Exception as exc:
        _record_failure(export, exc)
        raise


def _build(export: DataExport, *, deadline: float) -> bool:
    batch = settings.DATA_EXPORT_BATCH_SIZE
    while export.step < len(EXPORT_PARTS):
        _, rows_of = EXPORT_PARTS[export.step]
        rows = rows_of(export.user_id)
        page = list(rows.filter(id__gt=export.cursor).order_by("id")[:batch])
        if page:
            content = json.dumps(page, cls=DjangoJSONEncoder).encode()
            _write(_page_name(export, export.step, export.pages), content)
            export.cursor, export.pages = page[-1]["id"], export.pages + 1
        if len(page) < batch:
            export.step, export.cursor, export.pages = export.step + 1, 0, 0
        export.progress = min(99, export.step * 100 // EXPORT_STEPS)
        export.lease_until = timezone.now() + _lease()
        export.save(update_fields=["step", "cursor", "pages", "progress", "lease_until"])
        if time.monotonic() > deadline:
            DataExport.objects.filter(pk=export.pk).update(lease_until=None)
            return False
    _assemble(export)
    return True


def _pages(export: DataExport, step: int) -> Iterator[str]:
    """The names of a part's pages, in order."""
    storage = export_storage()
    _, files = storage.listdir(_part_dir(export)) if storage.exists(_part_dir(export)) else ([], [])
    prefix = f"{step:02d}-"
    for name in sorted(file for file in files if file.startswith(prefix)):
        yield f"{_part_dir(export)}/{name}"


def _assemble(export: DataExport) -> None:
    """The archive: profile.json, a JSON file per part (its pages joined), and the user's
    photos and avatar under media/. Saved to the exports storage; the pages go."""
    storage = export_storage()
    user = User.objects.filter(pk=export.user_id).values(*PROFILE_FIELDS).first() or {}
    avatar = User.objects.filter(pk=export.user_id).values_list("avatar", flat=True).first()
    with tempfile.TemporaryFile() as spool:
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("profile.json", json.dumps(user, cls=DjangoJSONEncoder, indent=2))
            for step, (name, _) in enumerate(EXPORT_PARTS):
                items = []
                for page in _pages(export, step):
                    with storage.open(page) as handle:
                        items += json.load(handle)
                archive.writestr(f"{name}.json", json.dumps(items, indent=2))
                if name == "media":
                    for item in items:
                        _copy_media(archive, item["image"])
            if avatar:
                _copy_media(archive, avatar)
        spool.seek(0)
        name = f"{_part_dir(export)}.zip"
        if storage.exists(name):
            storage.delete(name)
        saved = storage.save(name, File(spool, name=name))
        size = storage.size(saved)
    now = timezone.now()
    DataExport.objects.filter(pk=export.pk).update(
        status=DataExport.DONE, progress=100, archive=saved, size=size, lease_until=None,
        completed_at=now, expires_at=now + timedelta(seconds=settings.DATA_EXPORT_LINK_MAX_AGE),
        error="",
    )  # fmt: skip
    for step in range(len(EXPORT_PARTS)):
        for page in list(_pages(export, step)):
            storage.delete(page)


def _copy_media(archive: zipfile.ZipFile, name: str) -> None:
    try:
        with default_storage.open(name) as handle:
            archive.writestr(f"media/{name}", handle.read())
    except FileNotFoundError:
        logger.warning("export: media file %s is missing", name)


def _record_failure(export: DataExport, exc: Exception) -> None:
    attempts = export.attempts + 1
    failed = attempts >= settings.DATA_EXPORT_MAX_ATTEMPTS
    DataExport.objects.filter(pk=export.pk).update(
        attempts=attempts,
        error=f"{type(exc).__name__}: {exc}"[:200],
        lease_until=None,
        **({"status": DataExport.FAILED} if failed else {}),
    )
    if failed:
        logger.error("export %s failed after %s attempts", export.pk, attempts)


def _delete_export_files(export: DataExport) -> None:
    storage = export_storage()
    if export.archive:
        storage.delete(export.archive)
    for step in range(len(EXPORT_PARTS)):
        for page in list(_pages(export, step)):
            storage.delete(page)


def expire_exports(*, limit: int = 500) -> int:
    """Beat: delete the archives whose link expired (their rows stay, without a file).
    Returns how many."""
    expired = list(
        DataExport.objects.filter(status=DataExport.DONE, expires_at__lt=timezone.now())
        .exclude(archive="")
        .order_by("expires_at")[:limit]
    )
    for export in expired:
        _delete_export_files(export)
        DataExport.objects.filter(pk=export.pk).update(archive="")
    return len(expired)
