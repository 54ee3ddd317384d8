"""Every write to tweets, photos, hashtags, mentions, comments and likes.

Counters move with F() in the same transaction as the rows they count, and toggles rely on
unique constraints, so a repeated or concurrent like/retweet is a no-op, never a double
count. These functions are the single place where likes, comments, retweets and mentions
happen: the notifications and newsfeed apps hook in here.

Lock order (docs/reliability.md): a write first locks the tweet it counts on (the original,
for a retweet; several in ascending id), then that tweet's retweets, comments and likes,
then users' counter rows in ascending id; feed rows, fan-out rows and notifications go last.
The newsfeeds and friendships apps follow the same order, so two writes never wait for each
other in a cycle; `atomic_with_retry` runs a transaction again if one still meets a deadlock.
Every row that refers to a tweet is inserted after its tweet is locked: PostgreSQL checks
Django's (deferred) foreign keys at commit, and a delete committed in between would turn
the insert into a 500.
"""

import logging
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import User
from core.db import atomic_with_retry, lock_rows, set_hidden
from core.exceptions import FieldValidationError, NotFound, PermissionDenied
from core.images import ProcessedImage, process_image
from friendships.models import Friendship
from newsfeeds import services as newsfeed_services
from notifications import services as notification_services
from notifications.models import Verb
from safety.exceptions import Protected
from safety.selectors import ensure_not_blocked
from tweets import selectors
from tweets.exceptions import CannotEditRetweet, EditWindowClosed
from tweets.models import (
    ALT_TEXT_MAX_LENGTH,
    MAX_PHOTOS,
    TWEET_MAX_LENGTH,
    Bookmark,
    Comment,
    Hashtag,
    Like,
    Mention,
    Pin,
    Trend,
    Tweet,
    TweetEdit,
    TweetHashtag,
    TweetPhoto,
    thread_segment,
)
from tweets.parsing import normalise_text, parse_hashtags, parse_mentions

logger = logging.getLogger(__name__)


# --- text and photos ---------------------------------------------------------------------


def _clean_text(text: str, *, field: str = "text", allow_empty: bool = False) -> str:
    text = normalise_text(text or "")
    if len(text) > TWEET_MAX_LENGTH:
        raise FieldValidationError(
            {field: [f"Ensure this field has no more than {TWEET_MAX_LENGTH} characters."]}
        )
    if not text.strip():
        if allow_empty and not text:
            return ""
        raise FieldValidationError({field: ["Write something: text cannot be only spaces."]})
    return text


def _process_photos(photos: Sequence) -> list[ProcessedImage]:
    if len(photos) > MAX_PHOTOS:
        raise FieldValidationError({"photos": [f"A tweet has at most {MAX_PHOTOS} photos."]})
    # Every photo is validated and re-encoded in memory before anything is written, so a
    # bad fourth photo rejects the tweet with no file left behind.
    return [process_photo(photo) for photo in photos]


def process_photo(photo) -> ProcessedImage:
    """One tweet photo validated and re-encoded in memory (the rules of docs/api.md):
    InvalidImage or ImageTooLarge otherwise. Also for photos uploaded ahead of their tweet
    (the Mastodon layer's /api/v2/media)."""
    return process_image(
        photo,
        max_bytes=settings.TWEET_PHOTO_MAX_BYTES,
        max_pixels=settings.TWEET_PHOTO_MAX_PIXELS,
        max_side=settings.TWEET_PHOTO_MAX_SIDE,
    )


def _clean_alt_texts(alt_texts: Sequence[str], photos: Sequence) -> list[str]:
    """One description per photo, in photo order ("" where none was given; blank entries
    at the end count as none, as a form with one input per possible photo sends them)."""
    alt_texts = list(alt_texts)
    while alt_texts and not alt_texts[-1]:
        alt_texts.pop()
    if len(alt_texts) > len(photos):
        raise FieldValidationError({"alt_texts": ["There are more alt texts than photos."]})
    cleaned = [normalise_text(text or "") for text in alt_texts]
    if any(len(text) > ALT_TEXT_MAX_LENGTH for text in cleaned):
        raise FieldValidationError(
            {
                "alt_texts": [
                    f"Ensure each alt text has no more than {ALT_TEXT_MAX_LENGTH} characters."
                ]
            }
        )
    return cleaned + [""] * (len(photos) - len(cleaned))


def _store_photos(
    tweet: Tweet, images: list[ProcessedImage], alt_texts: Sequence[str], saved: list[str]
) -> None:
    """Write the files and rows; `saved` collects file names so the caller can remove
    them if the transaction does not commit."""
    for position, (image, alt_text) in enumerate(zip(images, alt_texts, strict=True)):
        photo = TweetPhoto(
            tweet=tweet,
            position=position,
            width=image.width,
            height=image.height,
            alt_text=alt_text,
        )
        photo.image.save(f"photo.{image.extension}", image.content, save=False)
        saved.append(photo.image.name)
        photo.save()


def _delete_files(names: Sequence[str]) -> None:
    storage = TweetPhoto._meta.get_field("image").storage
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            logger.warning("could not delete photo file %s", name)


# --- hashtags and mentions ---------------------------------------------------------------


def _set_hashtags(tweet: Tweet, text: str) -> None:
    names = parse_hashtags(text)
    # Rows are rewritten in the order the tags appear in the text: readers list a tweet's
    # hashtags by row id, so keeping rows of an earlier version would reorder them.
    TweetHashtag.objects.filter(tweet=tweet).delete()
    if not names:
        return
    # In name order: two tweets creating the same new tags in different orders would each
    # wait for the other's uncommitted insert.
    Hashtag.objects.bulk_create(
        [Hashtag(name=name) for name in sorted(names)], ignore_conflicts=True
    )
    by_name = {tag.name: tag for tag in Hashtag.objects.filter(name__in=names)}
    TweetHashtag.objects.bulk_create(
        [
            TweetHashtag(tweet=tweet, hashtag=by_name[name], created_at=tweet.created_at)
            for name in names
        ]
    )


def _readers(author: User, user_ids: Sequence[int]) -> list[int]:
    """Those of `user_ids` who may read the author's tweets: a notification shows the
    tweet's text, so of a protected account's tweet only its followers hear."""
    if not author.is_protected or not user_ids:
        return list(user_ids)
    followers = set(
        Friendship.objects.filter(followee_id=author.pk, follower_id__in=user_ids).values_list(
            "follower_id", flat=True
        )
    )
    return [user_id for user_id in user_ids if user_id in followers]


def _set_mentions(tweet: Tweet, text: str, *, notified: Sequence[int] = ()) -> list[User]:
    """Store mentions of existing, active users; return those newly mentioned. Users in
    `notified` (the replied-to and quoted authors, told by their own verb) are not told
    again of the mention."""
    usernames = parse_mentions(text)
    found = (
        User.objects.alias(lower=Lower("username")).filter(lower__in=usernames, is_active=True)
        if usernames
        else []
    )
    # In the order of the text (the database returns them in any order).
    position = {username: index for index, username in enumerate(usernames)}
    users = sorted(found, key=lambda user: position.get(user.username.lower(), len(position)))
    Mention.objects.filter(tweet=tweet).exclude(user__in=users).delete()
    existing = set(Mention.objects.filter(tweet=tweet).values_list("user_id", flat=True))
    new = [user for user in users if user.pk not in existing]
    Mention.objects.bulk_create([Mention(tweet=tweet, user=user) for user in new])
    told = [user.pk for user in new if user.pk not in notified]
    for user_id in _readers(tweet.user, told):
        notification_services.notify(
            recipient_id=user_id, actor=tweet.user, verb=Verb.MENTIONED, tweet_id=tweet.pk
        )
    return new


# --- locks -------------------------------------------------------------------------------


def _lock_original(
    *, tweet_id: int, mode: str = "NO KEY UPDATE", viewer: User | None = None
) -> Tweet:
    """The tweet a write on `tweet_id` counts on (a retweet's original), locked first
    (NO KEY UPDATE: its counters move; KEY SHARE: it only must not be deleted meanwhile).
    NotFound if it is gone, also when deleted while this waited for the lock; with a
    `viewer`, NotFound and Blocked as `selectors.access_original`."""
    if viewer is None:
        original = selectors.get_original(tweet_id=tweet_id)
    else:
        original = selectors.access_original(tweet_id=tweet_id, viewer=viewer)
    if not lock_rows(Tweet, [original.pk], mode=mode):
        raise NotFound("No tweet with that id.")
    return original


def _move_user_counters(changes: dict[int, dict[str, int]]) -> None:
    """Add these deltas to users' counters ({user id: {field: delta}}), one user at a time
    in ascending id: the order every service locks user rows in."""
    for user_id in sorted(changes):
        deltas = {field: F(field) + delta for field, delta in changes[user_id].items() if delta}
        if deltas:
            User.objects.filter(pk=user_id).update(**deltas)


# --- tweets ------------------------------------------------------------------------------


def create_tweet(
    *,
    author: User,
    text: str = "",
    photos: Sequence = (),
    alt_texts: Sequence[str] = (),
    in_reply_to_id: int | None = None,
    quote_of_id: int | None = None,
) -> Tweet:
    """Post a tweet with up to four photos (each with its alt text), maybe in reply to
    another tweet and maybe quoting one (a retweet given: its original). The replied-to
    tweet's `replies_count` moves; its author is notified (`replied`), the quoted
    tweet's author too (`quoted`).

    Raises FieldValidationError (empty or too long text, too many photos or alt texts),
    InvalidImage or ImageTooLarge for a bad photo; NotFound for a replied-to or quoted
    tweet the author may not see, Blocked when its author and the author block each
    other, Protected for a quote of a protected account's tweet. In every case nothing is
    stored, files included.
    """
    text = _clean_text(text, allow_empty=bool(photos))
    alt_texts = _clean_alt_texts(alt_texts, photos)
    images = _process_photos(photos)
    return _insert_tweet(
        author=author,
        text=text,
        images=images,
        alt_texts=alt_texts,
        in_reply_to_id=in_reply_to_id,
        quote_of_id=quote_of_id,
    )


def _lock_targets(
    *, author: User, in_reply_to_id: int | None, quote_of_id: int | None
) -> tuple[Tweet | None, Tweet | None]:
    """The tweet replied to and the tweet quoted (originals), checked for the author, then
    locked in ascending id: the replied-to one NO KEY UPDATE (its replies_count moves), the
    quoted one KEY SHARE (it only must not be deleted meanwhile)."""
    parent = quoted = None
    if in_reply_to_id is not None:
        parent = selectors.access_original(tweet_id=in_reply_to_id, viewer=author)
    if quote_of_id is not None:
        quoted = selectors.access_original(tweet_id=quote_of_id, viewer=author)
        if quoted.user.is_protected:
            raise Protected()
    modes = {quoted.pk: "KEY SHARE"} if quoted else {}
    if parent:
        modes[parent.pk] = "NO KEY UPDATE"
    for tweet_id in sorted(modes):
        if not lock_rows(Tweet, [tweet_id], mode=modes[tweet_id]):
            raise NotFound("No tweet with that id.")
    return parent, quoted


@atomic_with_retry
def _insert_tweet(
    *,
    author: User,
    text: str,
    images: list[ProcessedImage],
    alt_texts: list[str],
    in_reply_to_id: int | None,
    quote_of_id: int | None,
) -> Tweet:
    saved: list[str] = []
    try:
        with transaction.atomic():
            parent, quoted = _lock_targets(
                author=author, in_reply_to_id=in_reply_to_id, quote_of_id=quote_of_id
            )
            tweet = Tweet.objects.create(
                user=author,
                text=text,
                in_reply_to=parent,
                conversation_id=parent.root_id if parent else None,
                quote_of=quoted,
            )
            if parent:
                # The path ends with the reply's own id, known only now.
                tweet.thread_path = parent.path + thread_segment(tweet.pk)
                Tweet.objects.filter(pk=tweet.pk).update(thread_path=tweet.thread_path)
                Tweet.objects.filter(pk=parent.pk).update(replies_count=F("replies_count") + 1)
            _store_photos(tweet, images, alt_texts, saved)
            _set_hashtags(tweet, text)
            told = _notify_replied_and_quoted(tweet, parent=parent, quoted=quoted)
            _set_mentions(tweet, text, notified=told)
            _move_user_counters({author.pk: {"tweets_count": 1}})
            newsfeed_services.record_tweet(tweet=tweet, author=author)
    except Exception:
        _delete_files(saved)  # Django has no on-rollback hook: clean up by hand
        raise
    return tweet


def _notify_replied_and_quoted(
    tweet: Tweet, *, parent: Tweet | None, quoted: Tweet | None
) -> list[int]:
    """Tell the replied-to author (`replied`) and the quoted author (`quoted`, unless also
    the replied-to one) of the new tweet; return who is concerned, told or not, so a
    mention of them in the text does not notify them a second time."""
    verbs = {}
    if quoted is not None:
        verbs[quoted.user_id] = Verb.QUOTED
    if parent is not None:
        verbs[parent.user_id] = Verb.REPLIED
    for user_id in _readers(tweet.user, list(verbs)):
        notification_services.notify(
            recipient_id=user_id, actor=tweet.user, verb=verbs[user_id], tweet_id=tweet.pk
        )
    return list(verbs)


@atomic_with_retry
def edit_tweet(*, editor: User, tweet_id: int, text: str) -> Tweet:
    """Change a tweet's text, keeping the previous one in its history (TweetEdit) and
    counting the edit (`edit_count`); hashtags and mentions follow the new text (a newly
    mentioned user is notified), and so does search, which reads the text.

    Author only (PermissionDenied); retweets cannot be edited (CannotEditRetweet); only
    within TWEET_EDIT_WINDOW_SECONDS of posting and TWEET_EDIT_LIMIT times
    (EditWindowClosed). The same text again changes nothing and is not an edit. Cached
    renderings of the tweet (tweets.payloads) are stamped with its text, edit time and
    count, so they are rendered again on their next read.
    """
    tweet = selectors.get_tweet(tweet_id=tweet_id, for_update=True)
    if tweet.user_id != editor.pk:
        raise PermissionDenied("Only the author can edit a tweet.")
    if tweet.is_retweet:
        raise CannotEditRetweet()
    now = timezone.now()
    if now - tweet.created_at > timedelta(seconds=settings.TWEET_EDIT_WINDOW_SECONDS):
        raise EditWindowClosed(
            f"A tweet can be edited for {settings.TWEET_EDIT_WINDOW_SECONDS} seconds "
            "after it is posted."
        )
    if tweet.edit_count >= settings.TWEET_EDIT_LIMIT:
        raise EditWindowClosed(f"A tweet can be edited at most {settings.TWEET_EDIT_LIMIT} times.")
    has_photos = tweet.photos.exists()
    text = _clean_text(text, allow_empty=has_photos)
    if text == tweet.text:
        return tweet
    TweetEdit.objects.create(
        tweet=tweet, text=tweet.text, edited_at=tweet.edited_at or tweet.created_at
    )
    tweet.text = text
    tweet.edited_at = now
    tweet.edit_count += 1  # the row is locked (for_update): no concurrent edit moves it
    tweet.save(update_fields=["text", "edited_at", "edit_count"])
    _set_hashtags(tweet, tweet.text)
    _set_mentions(tweet, tweet.text)
    return tweet


@atomic_with_retry
def delete_tweet(*, actor: User | None, tweet_id: int) -> None:
    """Delete a tweet with its photos, comments, likes and retweets (author only; `actor`
    None is the admin). Every counter that counted them moves down."""
    tweet = selectors.get_tweet(tweet_id=tweet_id)
    if actor is not None and tweet.user_id != actor.pk:
        raise PermissionDenied("Only the author can delete a tweet.")
    # A retweet counts on its original (retweets_count), a reply on the tweet it replies
    # to (replies_count): those are locked first, then the tweet is read again (its
    # replied-to tweet may have been deleted meanwhile).
    counted_on = [tweet.retweet_of_id, tweet.in_reply_to_id]
    lock_rows(Tweet, [pk for pk in counted_on if pk is not None], mode="NO KEY UPDATE")
    tweet = selectors.get_tweet(tweet_id=tweet_id, for_update=True)
    _delete_tweets([tweet])


def _delete_tweets(tweets: Sequence[Tweet]) -> None:
    """Delete these tweets (locked by the caller, their originals first) and their retweets."""
    ids = [tweet.pk for tweet in tweets]
    # Retweets of these tweets go with them (CASCADE), locked now, after their originals and
    # before any row of theirs is touched: a fan-out batch inserting feed rows of one holds
    # it (KEY SHARE) until it commits, and its rows are then deleted here too.
    retweet_rows = list(
        Tweet.objects.filter(retweet_of_id__in=ids).values_list("pk", "user_id", named=True)
    )
    retweet_ids = lock_rows(Tweet, [row.pk for row in retweet_rows], mode="UPDATE")
    # Their authors' counts go down too.
    doomed_authors = [tweet.user_id for tweet in tweets] + [
        row.user_id for row in retweet_rows if row.pk in retweet_ids
    ]
    # A deleted retweet no longer counts on its original.
    originals = [tweet.retweet_of_id for tweet in tweets if tweet.retweet_of_id not in (None, *ids)]
    for original_id, count in sorted(Counter(originals).items()):
        Tweet.objects.filter(pk=original_id).update(retweets_count=F("retweets_count") - count)
    # Nor a deleted reply on the tweet it replies to. Replies to the deleted tweets stay,
    # with in_reply_to null (SET_NULL), as quotes of them stay with quote_of null.
    parents = [tweet.in_reply_to_id for tweet in tweets if tweet.in_reply_to_id not in (None, *ids)]
    for parent_id, count in sorted(Counter(parents).items()):
        Tweet.objects.filter(pk=parent_id).update(replies_count=F("replies_count") - count)
    _move_user_counters(
        {user_id: {"tweets_count": -count} for user_id, count in Counter(doomed_authors).items()}
    )
    files = list(TweetPhoto.objects.filter(tweet_id__in=ids).values_list("image", flat=True))
    # Feed rows cascade with the tweets; cached feeds are cleaned after commit, and their
    # readers online are told (`tweet_deleted`).
    newsfeed_services.forget_tweets(tweet_ids=ids + retweet_ids, deleted=True)
    Tweet.objects.filter(pk__in=ids).delete()
    transaction.on_commit(lambda: _delete_files(files))


@transaction.atomic
def hide_tweet(*, tweet_id: int) -> Tweet:
    """A moderator's decision: the tweet (and with it every retweet of it) leaves every list
    and feed, and its detail answers 404. Counters stay: the row is kept (docs/safety.md).
    Raises NotFound for a missing tweet."""
    tweet = set_hidden(selectors.get_tweet(tweet_id=tweet_id, for_update=True), True)
    newsfeed_services.withdraw_tweets(tweet_ids=[tweet.pk])
    return tweet


@transaction.atomic
def hide_comment(*, comment_id: int) -> Comment:
    """A moderator's decision: the comment leaves its tweet's comments. Raises NotFound."""
    return set_hidden(selectors.get_comment(comment_id=comment_id, for_update=True), True)


@transaction.atomic
def unhide_tweet(*, tweet_id: int) -> Tweet:
    """A moderator reverses a hide: the tweet and its retweets are shown again wherever
    their rules allow (the feed rows the hide deleted are not written back: followers
    find it on the author's profile, in search and by link). Raises NotFound."""
    return set_hidden(selectors.get_tweet(tweet_id=tweet_id, for_update=True), False)


@transaction.atomic
def unhide_comment(*, comment_id: int) -> Comment:
    """A moderator reverses a hide: the comment is back under its tweet. Raises NotFound."""
    return set_hidden(selectors.get_comment(comment_id=comment_id, for_update=True), False)


@transaction.atomic
def remove_retweets_of(*, author: User) -> int:
    """Delete other users' retweets of the author's tweets: the account became protected,
    its tweets cannot be retweeted, and a retweet would show them beyond its followers.
    Counters, feeds and cached feeds move as for any deleted retweet. Returns how many."""
    rows = list(
        Tweet.objects.filter(retweet_of__user=author)
        .exclude(user=author)
        .values_list("pk", "retweet_of_id")
    )
    if not rows:
        return 0
    # The lock order of every write here: originals first, then the retweets themselves.
    lock_rows(Tweet, [original_id for _, original_id in rows], mode="NO KEY UPDATE")
    locked = lock_rows(Tweet, [pk for pk, _ in rows], mode="UPDATE")
    retweets = list(Tweet.objects.filter(pk__in=locked))
    _delete_tweets(retweets)
    return len(retweets)


# --- retweets ----------------------------------------------------------------------------


@atomic_with_retry
def retweet(*, user: User, tweet_id: int) -> Tweet:
    """Retweet a tweet (a retweet's original, when given a retweet). Idempotent. Returns
    the original. Raises NotFound, Blocked, or Protected for a protected account's tweet
    (its own author's included)."""
    original = _lock_original(tweet_id=tweet_id, viewer=user)
    if original.user.is_protected:
        raise Protected()
    try:
        with transaction.atomic():
            retweet_row = Tweet.objects.create(user=user, retweet_of=original)
    except IntegrityError:
        return original  # already retweeted: nothing changes
    Tweet.objects.filter(pk=original.pk).update(retweets_count=F("retweets_count") + 1)
    _move_user_counters({user.pk: {"tweets_count": 1}})
    newsfeed_services.record_tweet(tweet=retweet_row, author=user)
    notification_services.notify(
        recipient_id=original.user_id, actor=user, verb=Verb.RETWEETED, tweet_id=original.pk
    )
    return original


@atomic_with_retry
def undo_retweet(*, user: User, tweet_id: int) -> Tweet:
    """Remove the user's retweet of the original. Idempotent. Returns the original."""
    original = _lock_original(tweet_id=tweet_id)
    retweets = list(Tweet.objects.select_for_update().filter(user=user, retweet_of=original))
    if retweets:
        _delete_tweets(retweets)
    return original


# --- likes -------------------------------------------------------------------------------


def _insert_like(**target) -> bool:
    try:
        with transaction.atomic():
            Like.objects.create(**target)
    except IntegrityError:
        return False
    return True


@atomic_with_retry
def like_tweet(*, user: User, tweet_id: int) -> Tweet:
    """Like a tweet (a retweet's original, when given a retweet). Idempotent. Raises
    Blocked when its author and the user block each other."""
    tweet = _lock_original(tweet_id=tweet_id, viewer=user)
    if _insert_like(user=user, tweet=tweet):
        Tweet.objects.filter(pk=tweet.pk).update(likes_count=F("likes_count") + 1)
        notification_services.notify(
            recipient_id=tweet.user_id, actor=user, verb=Verb.LIKED_TWEET, tweet_id=tweet.pk
        )
    return tweet


@atomic_with_retry
def unlike_tweet(*, user: User, tweet_id: int) -> Tweet:
    tweet = _lock_original(tweet_id=tweet_id)
    deleted, _ = Like.objects.filter(user=user, tweet=tweet).delete()
    if deleted:
        Tweet.objects.filter(pk=tweet.pk).update(likes_count=F("likes_count") - 1)
    return tweet


# --- bookmarks ---------------------------------------------------------------------------


@atomic_with_retry
def bookmark_tweet(*, user: User, tweet_id: int) -> Tweet:
    """Bookmark a tweet (a retweet's original, when given a retweet). Idempotent and
    private: no counter, no notification. Returns the original. Raises NotFound (also for
    a tweet the user may not see) and Blocked as access_original."""
    # KEY SHARE: the tweet must not be deleted before the bookmark's foreign key is checked.
    tweet = _lock_original(tweet_id=tweet_id, mode="KEY SHARE", viewer=user)
    try:
        with transaction.atomic():
            Bookmark.objects.create(user=user, tweet=tweet)
    except IntegrityError:
        pass  # already bookmarked: nothing changes
    return tweet


@transaction.atomic
def unbookmark_tweet(*, user: User, tweet_id: int) -> Tweet:
    """Remove the user's bookmark of the tweet (of a retweet's original). Idempotent, and
    works whatever happened since (a block, protection). Returns the original."""
    tweet = selectors.get_original(tweet_id=tweet_id)
    Bookmark.objects.filter(user=user, tweet=tweet).delete()
    return tweet


# --- pins --------------------------------------------------------------------------------


def _own_tweet(*, user: User, tweet_id: int) -> Tweet:
    """The tweet, if the user may pin it: NotFound when they may not see it, Blocked as
    its detail, PermissionDenied when it is someone else's or a retweet."""
    tweet = selectors.access_tweet(tweet_id=tweet_id, viewer=user)
    if tweet.user_id != user.pk or tweet.is_retweet:
        raise PermissionDenied("Only your own tweets (not retweets) can be pinned.")
    return tweet


@atomic_with_retry
def pin_tweet(*, user: User, tweet_id: int) -> Tweet:
    """Pin one of the user's own tweets to their profile, replacing the pin they had.
    Idempotent. Raises as _own_tweet."""
    tweet = _own_tweet(user=user, tweet_id=tweet_id)
    # KEY SHARE: the tweet must not be deleted before the pin's foreign key is checked.
    if not lock_rows(Tweet, [tweet.pk], mode="KEY SHARE"):
        raise NotFound("No tweet with that id.")
    # One statement, so two concurrent pins of one user leave one pin, the last one.
    Pin.objects.bulk_create(
        [Pin(user=user, tweet=tweet, created_at=timezone.now())],
        update_conflicts=True,
        unique_fields=["user"],
        update_fields=["tweet", "created_at"],
    )
    return tweet


@transaction.atomic
def unpin_tweet(*, user: User, tweet_id: int) -> Tweet:
    """Unpin the tweet if it is the user's pinned one (idempotent: another pin stays).
    Raises as _own_tweet."""
    tweet = _own_tweet(user=user, tweet_id=tweet_id)
    Pin.objects.filter(user=user, tweet=tweet).delete()
    return tweet


def _lock_comment(*, comment_id: int, viewer: User | None = None) -> Comment:
    """Lock a comment after its tweet (KEY SHARE: it must not be deleted meanwhile), for
    a write that moves the comment's counter. NotFound if either is gone; with a `viewer`,
    NotFound and Blocked for the tweet as `selectors.access_original` (a comment on a
    protected account's tweet is as hidden as the tweet)."""
    comment = selectors.get_comment(comment_id=comment_id)
    if viewer is not None and (comment.hidden_at is not None or not comment.user.is_active):
        raise NotFound("No comment with that id.")  # hidden by a moderator, or suspended
    _lock_original(tweet_id=comment.tweet_id, mode="KEY SHARE", viewer=viewer)
    if not lock_rows(Comment, [comment.pk], mode="NO KEY UPDATE"):
        raise NotFound("No comment with that id.")
    return comment


@atomic_with_retry
def like_comment(*, user: User, comment_id: int) -> Comment:
    comment = _lock_comment(comment_id=comment_id, viewer=user)
    ensure_not_blocked(actor=user, other_ids=[comment.user_id])
    if _insert_like(user=user, comment=comment):
        Comment.objects.filter(pk=comment.pk).update(likes_count=F("likes_count") + 1)
        notification_services.notify(
            recipient_id=comment.user_id,
            actor=user,
            verb=Verb.LIKED_COMMENT,
            tweet_id=comment.tweet_id,
            comment_id=comment.pk,
        )
    return comment


@atomic_with_retry
def unlike_comment(*, user: User, comment_id: int) -> Comment:
    comment = _lock_comment(comment_id=comment_id, viewer=user)
    deleted, _ = Like.objects.filter(user=user, comment=comment).delete()
    if deleted:
        Comment.objects.filter(pk=comment.pk).update(likes_count=F("likes_count") - 1)
    return comment


# --- comments ----------------------------------------------------------------------------


@atomic_with_retry
def create_comment(*, author: User, tweet_id: int, text: str) -> Comment:
    """Comment on a tweet (on a retweet's original, when given a retweet). Raises Blocked
    when its author and the commenter block each other."""
    tweet = _lock_original(tweet_id=tweet_id, viewer=author)
    comment = Comment.objects.create(tweet=tweet, user=author, text=_clean_text(text))
    Tweet.objects.filter(pk=tweet.pk).update(comments_count=F("comments_count") + 1)
    notification_services.notify(
        recipient_id=tweet.user_id,
        actor=author,
        verb=Verb.COMMENTED,
        tweet_id=tweet.pk,
        comment_id=comment.pk,
    )
    return comment


@atomic_with_retry
def delete_comment(*, actor: User | None, comment_id: int) -> None:
    """Delete a comment: its author or the tweet's author may (`actor` None: the admin)."""
    comment = selectors.get_comment(comment_id=comment_id)
    if actor is not None and actor.pk not in (comment.user_id, comment.tweet.user_id):
        raise PermissionDenied("Only the comment's author or the tweet's author can delete it.")
    # Its tweet first (comments_count moves), then the comment.
    _lock_original(tweet_id=comment.tweet_id)
    comment = selectors.get_comment(comment_id=comment_id, for_update=True)
    Tweet.objects.filter(pk=comment.tweet_id).update(comments_count=F("comments_count") - 1)
    comment.delete()


# --- trends ------------------------------------------------------------------------------


@transaction.atomic
def compute_trends(*, window: timedelta | None = None, limit: int | None = None) -> list[Trend]:
    """Rewrite the Trend table: the most used hashtags of the last `window` (24 hours)."""
    window = window or timedelta(hours=settings.TRENDS_WINDOW_HOURS)
    limit = limit or settings.TRENDS_SIZE
    now = timezone.now()
    top = (
        TweetHashtag.objects.filter(created_at__gte=now - window)
        .values("hashtag__name")
        .annotate(tweets_count=Count("tweet_id"))
        .order_by("-tweets_count", "hashtag__name")[:limit]
    )
    trends = [
        Trend(
            hashtag=row["hashtag__name"],
            tweets_count=row["tweets_count"],
            rank=rank,
            computed_at=now,
        )
        for rank, row in enumerate(top, start=1)
    ]
    Trend.objects.all().delete()
    return Trend.objects.bulk_create(trends)


# --- account deletion (lifecycle.services.purge_account) ---------------------------------
# Each call deletes one batch of a deleted account's rows in its own transaction and
# returns how many rows it looked at: 0 means none are left. Rows are re-read after their
# tweets are locked, so a batch racing another purge of the same account, or a delete of
# the tweet, moves each counter once (docs/reliability.md I3).


@atomic_with_retry
def forget_likes_by(*, user_id: int, limit: int) -> int:
    """Delete up to `limit` of the user's likes of tweets (then, once none is left, of
    comments), each liked object's `likes_count` moving down."""
    tweet_ids = list(
        Like.objects.filter(user_id=user_id, tweet__isnull=False)
        .order_by("pk")
        .values_list("tweet_id", flat=True)[:limit]
    )
    if tweet_ids:
        _drop_likes(
            user_id=user_id, model=Tweet, ids=lock_rows(Tweet, tweet_ids, mode="NO KEY UPDATE")
        )
        return len(tweet_ids)
    rows = list(
        Like.objects.filter(user_id=user_id, comment__isnull=False)
        .order_by("pk")
        .values_list("comment_id", "comment__tweet_id")[:limit]
    )
    if rows:
        # The lock order of like_comment: the comments' tweets, then the comments.
        lock_rows(Tweet, [tweet_id for _, tweet_id in rows], mode="KEY SHARE")
        locked = lock_rows(Comment, [comment_id for comment_id, _ in rows], mode="NO KEY UPDATE")
        _drop_likes(user_id=user_id, model=Comment, ids=locked)
    return len(rows)


def _drop_likes(*, user_id: int, model: type[Tweet] | type[Comment], ids: list[int]) -> None:
    """Delete the user's likes of these tweets or comments (locked by the caller), each
    one's `likes_count` down by as many."""
    field = f"{model._meta.model_name}_id"
    likes = Like.objects.filter(user_id=user_id, **{f"{field}__in": ids})
    counts = Counter(likes.values_list(field, flat=True))
    likes.delete()
    for pk, count in sorted(counts.items()):
        model.objects.filter(pk=pk).update(likes_count=F("likes_count") - count)


@atomic_with_retry
def forget_comments_by(*, user_id: int, limit: int) -> int:
    """Delete up to `limit` of the user's comments (with their likes), each tweet's
    `comments_count` moving down."""
    rows = list(
        Comment.objects.filter(user_id=user_id).order_by("pk").values_list("pk", "tweet_id")[:limit]
    )
    if not rows:
        return 0
    lock_rows(Tweet, [tweet_id for _, tweet_id in rows], mode="NO KEY UPDATE")
    locked = lock_rows(Comment, [pk for pk, _ in rows], mode="UPDATE")
    comments = Comment.objects.filter(pk__in=locked, user_id=user_id)
    counts = Counter(comments.values_list("tweet_id", flat=True))
    for tweet_id, count in sorted(counts.items()):
        Tweet.objects.filter(pk=tweet_id).update(comments_count=F("comments_count") - count)
    comments.delete()
    return len(rows)


@atomic_with_retry
def forget_tweets_by(*, user_id: int, limit: int) -> int:
    """Delete up to `limit` of the user's tweets as `delete_tweet` does (photos, comments,
    likes, others' retweets, feed rows; every counter that counted them moves down): the
    user's retweets first, then their tweets, so that no batch holds a tweet and a retweet
    of it (whose author would lose two from `tweets_count` for one row)."""
    retweets = Tweet.objects.filter(user_id=user_id, retweet_of__isnull=False)
    rows = list(retweets.order_by("pk").values_list("pk", "retweet_of_id")[:limit])
    if not rows:
        rows = list(
            Tweet.objects.filter(user_id=user_id, retweet_of__isnull=True)
            .order_by("pk")
            .values_list("pk", "retweet_of_id")[:limit]
        )
    if not rows:
        return 0
    # The lock order of delete_tweet: the originals a retweet counts on, then the tweets.
    lock_rows(
        Tweet, [original for _, original in rows if original is not None], mode="NO KEY UPDATE"
    )
    locked = lock_rows(Tweet, [pk for pk, _ in rows], mode="UPDATE")
    _delete_tweets(list(Tweet.objects.filter(pk__in=locked, user_id=user_id)))
    return len(rows)


@transaction.atomic
def forget_mentions_of(*, user_id: int, limit: int) -> int:
    """Delete up to `limit` of the rows saying others' tweets mention the user (the text
    stays: it is theirs)."""
    ids = list(Mention.objects.filter(user_id=user_id).values_list("pk", flat=True)[:limit])
    Mention.objects.filter(pk__in=ids).delete()
    return len(ids)


@transaction.atomic
def forget_bookmarks_of(*, user_id: int, limit: int) -> int:
    """Delete up to `limit` of a deleted account's bookmarks (nothing counts them)."""
    ids = list(Bookmark.objects.filter(user_id=user_id).values_list("pk", flat=True)[:limit])
    Bookmark.objects.filter(pk__in=ids).delete()
    return len(ids)
