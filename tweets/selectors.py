"""Reads of tweets and comments, and the hydration every tweet list shares.

A page of tweets costs a fixed number of queries whatever its size: one for the page
(authors, retweeted originals and quoted tweets joined in, with whether the viewer may see
each quoted tweet), then one each for photos, hashtags and mentions of every tweet on it,
and, for a signed-in viewer, one for their likes, retweets and bookmarks among them. The
newsfeed renders its pages in tweets.payloads, to the same output.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db.models import (
    BooleanField,
    CharField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
)

from accounts.models import User
from core.exceptions import NotFound
from friendships.selectors import can_see_tweets_of
from safety.exceptions import Blocked
from safety.selectors import blocked_either_way, hide_blocked
from tweets.models import (
    Bookmark,
    Comment,
    Like,
    Mention,
    Pin,
    Trend,
    Tweet,
    TweetEdit,
    TweetHashtag,
    TweetPhoto,
    thread_ids,
)
from tweets.parsing import normalise_text

SEARCH_CONFIG = "english"
TWEET_RELATED = (
    "user",
    "retweet_of",
    "retweet_of__user",
    "quote_of",
    "quote_of__user",
    "retweet_of__quote_of",
    "retweet_of__quote_of__user",
)
# A thread's context shows at most this many descendants (docs/api.md).
CONTEXT_DESCENDANTS = 200
# The users a tweet shows: its author and, for a retweet, the original's author. Lists hide
# tweets where either blocks the viewer or is blocked by them (docs/safety.md).
SHOWN_USERS = ("user_id", "retweet_of__user_id")


def available(path: str = "") -> Q:
    """Tweets (or comments) at `path` that no moderator hid and whose author is active: not
    suspended, not deleted (docs/safety.md, "Reports and moderation"). Columns of the row
    and of its author, which every list joins anyway: no query of its own."""
    prefix = f"{path}__" if path else ""
    return Q(**{f"{prefix}hidden_at__isnull": True, f"{prefix}user__is_active": True})


def visible_to(viewer: User | None) -> Q:
    """Tweets the viewer may see: available, and by accounts that are not protected, their
    own, or followed; for a retweet, the same of the original (docs/safety.md)."""
    return (
        available()
        & can_see_tweets_of(viewer, "user")
        & (Q(retweet_of__isnull=True) | shown_original(viewer))
    )


def may_see_quote(viewer: User | None, quote_path: str) -> Q:
    """The viewer may see the tweet quoted at `quote_path` ("quote_of",
    "retweet_of__quote_of"): its author's tweets are visible to them (visible_to) and
    neither blocks the other. A quote whose quoted tweet they may not see shows
    `quote_of: null` (docs/threads.md)."""
    condition = can_see_tweets_of(viewer, f"{quote_path}__user")
    if viewer is not None:
        condition &= ~Q(blocked_either_way(viewer.pk, OuterRef(f"{quote_path}__user_id")))
    return condition


def displayed(queryset: QuerySet, *, viewer: User | None) -> QuerySet:
    """Tweets as lists render them: with what TweetSerializer shows joined in
    (TWEET_RELATED) and `quote_shown`, `original_quote_shown`, whether the viewer may see
    the tweet's and a retweet's original's quoted tweet (may_see_quote). In the same
    query; hydrate_tweets reads the flags (a tweet without them shows no quote)."""
    boolean = BooleanField()
    return queryset.select_related(*TWEET_RELATED).annotate(
        quote_shown=ExpressionWrapper(may_see_quote(viewer, "quote_of"), output_field=boolean),
        original_quote_shown=ExpressionWrapper(
            may_see_quote(viewer, "retweet_of__quote_of"), output_field=boolean
        ),
    )


def shown_original(viewer: User | None) -> Q:
    """A retweet's original may be shown to the viewer: available, and visible as above."""
    return available("retweet_of") & can_see_tweets_of(viewer, "retweet_of__user")


def get_tweet(*, tweet_id: int, for_update: bool = False) -> Tweet:
    queryset = Tweet.objects.all()
    if for_update:
        queryset = queryset.select_for_update()
    tweet = queryset.filter(pk=tweet_id).first()
    if tweet is None:
        raise NotFound("No tweet with that id.")
    return tweet


def with_block_flags(queryset: QuerySet, *, viewer: User | None) -> QuerySet:
    """Annotate `blocks_author` and `blocks_original`: a block, either way, between the
    viewer and the tweet's author, and the original's author (a retweet's); and `visible`:
    the viewer may see it (visible_to). In the same query."""
    queryset = queryset.annotate(
        visible=ExpressionWrapper(visible_to(viewer), output_field=BooleanField())
    )
    if viewer is None:
        false = Value(False, output_field=BooleanField())
        return queryset.annotate(blocks_author=false, blocks_original=false)
    return queryset.annotate(
        blocks_author=blocked_either_way(viewer.pk, OuterRef("user_id")),
        blocks_original=blocked_either_way(viewer.pk, OuterRef("retweet_of__user_id")),
    )


def get_original(*, tweet_id: int) -> Tweet:
    """The tweet itself, or for a retweet the tweet it retweets, in one query; no check of
    who asks (undoing a like or a retweet works whatever happened since)."""
    tweet = Tweet.objects.select_related("retweet_of").filter(pk=tweet_id).first()
    if tweet is None:
        raise NotFound("No tweet with that id.")
    return tweet.retweet_of if tweet.retweet_of_id else tweet


def access_original(*, tweet_id: int, viewer: User | None) -> Tweet:
    """get_original, for a viewer (None: anonymous), in one query. Raises NotFound when
    the viewer may not see it (a protected account's), and Blocked (403) when the
    original's author and the viewer block each other."""
    queryset = Tweet.objects.select_related("user", "retweet_of__user").filter(pk=tweet_id)
    tweet = with_block_flags(queryset, viewer=viewer).first()
    if tweet is None or not tweet.visible:
        raise NotFound("No tweet with that id.")
    if tweet.retweet_of_id is None:
        if tweet.blocks_author:
            raise Blocked()
        return tweet
    if tweet.blocks_original:
        raise Blocked()
    return tweet.retweet_of


def get_tweet_for_display(*, tweet_id: int, viewer: User | None) -> Tweet:
    """One tweet, hydrated. Raises NotFound, or Blocked when the viewer and its author (or
    the original's author, for a retweet) block each other."""
    tweet = access_tweet(tweet_id=tweet_id, viewer=viewer)
    hydrate_tweets([tweet], viewer=viewer)
    return tweet


def access_tweet(*, tweet_id: int, viewer: User | None) -> Tweet:
    """The tweet itself (a retweet stays a retweet), as lists render it (`displayed`), if
    the viewer may see it: NotFound or Blocked as get_tweet_for_display. One query."""
    queryset = displayed(Tweet.objects.filter(pk=tweet_id), viewer=viewer)
    tweet = with_block_flags(queryset, viewer=viewer).first()
    if tweet is None or not tweet.visible:
        raise NotFound("No tweet with that id.")
    if tweet.blocks_author or tweet.blocks_original:
        raise Blocked()
    return tweet


def list_tweet_versions(*, tweet_id: int, viewer: User | None) -> list[dict]:
    """A tweet's texts, newest first, each with when it was set (`edited_at`; the tweet's
    creation for its first text): the current text first, then those its edits replaced.
    Raises as get_tweet_for_display. Two queries."""
    tweet = access_tweet(tweet_id=tweet_id, viewer=viewer)
    current = {"text": tweet.text, "edited_at": tweet.edited_at or tweet.created_at}
    earlier = TweetEdit.objects.filter(tweet_id=tweet.pk).order_by("-id")
    return [current, *earlier.values("text", "edited_at")]


def get_pinned_tweet(*, owner: User, viewer: User | None) -> Tweet | None:
    """The owner's pinned tweet, hydrated for the viewer; None when there is none or the
    viewer may not see it (a protected account, a block either way). One query when
    nothing is pinned, none when the profile's own query annotated `pinned_tweet_id`
    (friendships.selectors.get_profile); a fixed number more otherwise.

    Whether there is a pin is asked first, alone: the displayed query costs far more to
    build than to run (several milliseconds of ORM compilation), and most users (every
    `GET /me/`) pin nothing."""
    pinned_id = getattr(owner, "pinned_tweet_id", ...)
    if pinned_id is ...:
        pinned_id = Pin.objects.filter(user_id=owner.pk).values_list("tweet_id", flat=True).first()
    if pinned_id is None:
        return None
    queryset = displayed(Tweet.objects.filter(pk=pinned_id), viewer=viewer)
    tweet = with_block_flags(queryset, viewer=viewer).first()
    if tweet is None or not tweet.visible or tweet.blocks_author:
        return None
    hydrate_tweets([tweet], viewer=viewer)
    return tweet


def _shown_to(queryset: QuerySet, viewer: User | None) -> QuerySet:
    """Tweets of `queryset` the viewer may see, without those of users with a block with
    the viewer, ready to hydrate."""
    queryset = displayed(queryset.filter(visible_to(viewer)), viewer=viewer)
    return hide_blocked(queryset, viewer=viewer, fields=SHOWN_USERS)


def get_context(*, tweet_id: int, viewer: User | None) -> tuple[list[Tweet], list[Tweet]]:
    """A tweet's thread around it (a retweet's original's): its ancestors, root first, and
    its descendants in thread order (depth first, each tweet followed by its replies,
    oldest first), at most CONTEXT_DESCENDANTS; without the tweets the viewer may not see
    or whose authors block the viewer or are blocked by them. Hydrated. Raises as
    access_original does.

    Four queries whatever the thread's depth and size (the tweet, its ancestors, its
    descendants, then hydrate_tweets' own): ancestors are the ids of its thread path,
    descendants the tweets of its conversation whose path extends it (docs/threads.md)."""
    tweet = access_original(tweet_id=tweet_id, viewer=viewer)
    ancestor_ids = thread_ids(tweet.path)[:-1]
    ancestors: list[Tweet] = []
    if ancestor_ids:
        ancestors = list(
            _shown_to(Tweet.objects.filter(pk__in=ancestor_ids), viewer).order_by("id")
        )
    in_thread = Tweet.objects.filter(conversation_id=tweet.root_id)
    if tweet.thread_path:  # not the root: only the replies below it
        in_thread = in_thread.filter(thread_path__startswith=tweet.thread_path).exclude(pk=tweet.pk)
    descendants = list(_shown_to(in_thread, viewer).order_by("thread_path")[:CONTEXT_DESCENDANTS])
    hydrate_tweets([*ancestors, *descendants], viewer=viewer)
    return ancestors, descendants


def list_replies(*, tweet_id: int, viewer: User | None) -> QuerySet:
    """A tweet's direct replies (a retweet's original's), oldest first, as lists show
    tweets (_shown_to). Raises as access_original does."""
    tweet = access_original(tweet_id=tweet_id, viewer=viewer)
    return _shown_to(Tweet.objects.filter(in_reply_to=tweet), viewer).order_by("id")


def get_comment(*, comment_id: int, for_update: bool = False) -> Comment:
    queryset = Comment.objects.select_related("tweet", "user")
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    comment = queryset.filter(pk=comment_id).first()
    if comment is None:
        raise NotFound("No comment with that id.")
    return comment


def list_tweets(
    *, viewer: User | None, hashtag: str | None = None, q: str | None = None
) -> QuerySet:
    """Tweets, newest first; filtered by hashtag and/or search words; without those of
    users who block the viewer or whom the viewer blocks, and without hidden tweets and
    those of suspended users (visible_to)."""
    queryset = _shown_to(Tweet.objects.all(), viewer).order_by("-id")
    if hashtag:
        # Stored tags are NFC and lower-cased (tweets.parsing): look up the same form.
        tag = normalise_text(hashtag).lstrip("#").lower()
        queryset = queryset.filter(
            Exists(TweetHashtag.objects.filter(tweet=OuterRef("pk"), hashtag__name=tag))
        )
    if q and q.strip():
        queryset = _search(queryset, q.strip())
    return queryset


def _search(queryset: QuerySet, q: str) -> QuerySet:
    if settings.IS_POSTGRES:
        # The same expression as the GIN index of migration 0002, so the index serves it.
        vector = SearchVector("text", config=SEARCH_CONFIG)
        query = SearchQuery(q, config=SEARCH_CONFIG, search_type="websearch")
        return queryset.alias(search=vector).filter(search=query)
    # SQLite fallback: every word appears somewhere in the text.
    condition = Q()
    for word in q.split()[:10]:
        condition &= Q(text__icontains=word)
    return queryset.filter(condition)


def list_user_tweets(*, username: str, viewer: User | None) -> QuerySet:
    """A user's tweets and retweets, newest first, without retweets of tweets the viewer
    may not see. Raises NotFound (also for a protected account the viewer does not
    follow), or Blocked when the user and the viewer block each other; both checked in the
    user's own lookup."""
    users = User.objects.filter(username__iexact=username, is_active=True)
    users = users.annotate(
        visible=ExpressionWrapper(can_see_tweets_of(viewer), output_field=BooleanField())
    )
    if viewer is not None:
        users = users.annotate(blocked=blocked_either_way(viewer.pk, OuterRef("pk")))
    user = users.first()
    if user is None or not user.visible:
        raise NotFound("No user with that username.")
    if getattr(user, "blocked", False):
        raise Blocked()
    queryset = displayed(Tweet.objects.filter(user=user, hidden_at__isnull=True), viewer=viewer)
    queryset = queryset.filter()
    queryset = queryset.filter(Q(retweet_of__isnull=True) | shown_original(viewer))
    return hide_blocked(queryset, viewer=viewer, fields=["retweet_of__user_id"]).order_by("-id")


def list_bookmarks(*, user: User) -> QuerySet:
    """The user's bookmarks, most recently bookmarked first, with their tweets joined as
    lists render them (`quote_shown` annotated on the bookmark; bookmarked_tweets moves it
    to the tweet); without tweets the user may no longer see (protected since, or a block
    either way), which come back if that changes. One query a page."""
    related = [f"tweet__{path}" for path in TWEET_RELATED]
    queryset = Bookmark.objects.filter(user=user).select_related("tweet", *related)
    queryset = queryset.filter(available("tweet"), can_see_tweets_of(user, "tweet__user"))
    queryset = queryset.annotate(
        quote_shown=ExpressionWrapper(
            may_see_quote(user, "tweet__quote_of"), output_field=BooleanField()
        )
    )
    return hide_blocked(queryset, viewer=user, fields=["tweet__user_id"]).order_by("-id")


def bookmarked_tweets(bookmarks: Iterable[Bookmark], *, viewer: User) -> list[Tweet]:
    """The tweets of a page of list_bookmarks, hydrated."""
    tweets = []
    for bookmark in bookmarks:
        bookmark.tweet.quote_shown = bookmark.quote_shown
        tweets.append(bookmark.tweet)
    hydrate_tweets(tweets, viewer=viewer)
    return tweets


def list_likes(*, tweet_id: int, viewer: User | None) -> QuerySet:
    """Likes of a tweet with their users, most recent first, without users who block the
    viewer or whom the viewer blocks. Raises as access_original does."""
    tweet = access_original(tweet_id=tweet_id, viewer=viewer)
    queryset = Like.objects.filter(tweet=tweet, user__is_active=True).select_related("user")
    return hide_blocked(queryset, viewer=viewer, fields=["user_id"]).order_by("-id")


def list_comments(*, tweet_id: int, viewer: User | None) -> QuerySet:
    """Comments on a tweet, oldest first, with the viewer's `has_liked`, without those of
    users who block the viewer or whom the viewer blocks. Raises as access_original
    does."""
    tweet = access_original(tweet_id=tweet_id, viewer=viewer)
    return comments_of(tweet, viewer=viewer)


def comments_of(original: Tweet, *, viewer: User | None) -> QuerySet:
    """list_comments for a tweet the caller already checked the viewer may see."""
    queryset = Comment.objects.filter(available(), tweet=original).select_related("user")
    queryset = queryset.order_by("id")
    queryset = hide_blocked(queryset, viewer=viewer, fields=["user_id"])
    return with_comment_flags(queryset, viewer=viewer)


def with_comment_flags(queryset: QuerySet, *, viewer: User | None) -> QuerySet:
    if viewer is None:
        return queryset
    return queryset.annotate(
        has_liked=Exists(Like.objects.filter(comment=OuterRef("pk"), user=viewer))
    )


def get_comment_for_display(*, comment_id: int, viewer: User | None) -> Comment:
    comment = with_comment_flags(
        Comment.objects.select_related("user").filter(available(), pk=comment_id), viewer=viewer
    ).first()
    if comment is None:
        raise NotFound("No comment with that id.")
    return comment


def list_trends() -> QuerySet:
    return Trend.objects.order_by("rank")


def hydrate_tweets(tweets: Sequence[Tweet], *, viewer: User | None) -> Sequence[Tweet]:
    """Attach photos, hashtags, mentions and the viewer's flags to tweets, to the
    originals they retweet and to the tweets they quote (`shown_quote`: the quoted tweet,
    or None when the viewer may not see it, from the flags of `displayed`), in a fixed
    number of queries. Returns `tweets`."""
    shown = _with_nested(tweets)
    if not shown:
        return tweets
    ids = [tweet.pk for tweet in shown]

    photos: dict[int, list[TweetPhoto]] = defaultdict(list)
    for photo in TweetPhoto.objects.filter(tweet_id__in=ids).order_by("tweet_id", "position"):
        photos[photo.tweet_id].append(photo)

    hashtags: dict[int, list[str]] = defaultdict(list)
    rows = TweetHashtag.objects.filter(tweet_id__in=ids).order_by("id")
    for tweet_id, name in rows.values_list("tweet_id", "hashtag__name"):
        hashtags[tweet_id].append(name)

    mentions: dict[int, list[str]] = defaultdict(list)
    rows = Mention.objects.filter(tweet_id__in=ids).order_by("id")
    for tweet_id, username in rows.values_list("tweet_id", "user__username"):
        mentions[tweet_id].append(username)

    flags = _viewer_flags(ids, viewer)
    for tweet in shown:
        tweet.photo_list = photos.get(tweet.pk, [])
        tweet.hashtag_names = hashtags.get(tweet.pk, [])
        tweet.mention_names = mentions.get(tweet.pk, [])
        tweet.has_liked = tweet.pk in flags["liked"]
        tweet.has_retweeted = tweet.pk in flags["retweeted"]
        tweet.is_bookmarked = tweet.pk in flags["bookmarked"]
    return tweets


def _viewer_flags(ids: list[int], viewer: User | None) -> dict[str, set[int]]:
    """Which of these tweets the viewer liked, retweeted and bookmarked: one UNION ALL
    query (none for an anonymous viewer)."""
    flags: dict[str, set[int]] = {"liked": set(), "retweeted": set(), "bookmarked": set()}
    if viewer is None or not viewer.is_authenticated:
        return flags

    def rows(queryset: QuerySet, flag: str, column: str) -> QuerySet:
        kind = Value(flag, output_field=CharField())
        return queryset.annotate(flag=kind, target=F(column)).values_list("flag", "target")

    union = rows(Like.objects.filter(user=viewer, tweet_id__in=ids), "liked", "tweet_id").union(
        rows(
            Tweet.objects.filter(user=viewer, retweet_of_id__in=ids), "retweeted", "retweet_of_id"
        ),
        rows(Bookmark.objects.filter(user=viewer, tweet_id__in=ids), "bookmarked", "tweet_id"),
        all=True,
    )
    for flag, tweet_id in union:
        flags[flag].add(tweet_id)
    return flags


def _with_nested(tweets: Iterable[Tweet]) -> list[Tweet]:
    """The tweets, the originals they retweet and the tweets shown quoted: every object
    rendered. A nested tweet is its own object; it is hydrated even if it is also on the
    page (keys: the tweet's id, minus it for its original, an object's id for a quote)."""
    shown: dict[int | str, Tweet] = {}
    for tweet in tweets:
        shown.setdefault(tweet.pk, tweet)
        _set_shown_quote(tweet, getattr(tweet, "quote_shown", False), shown)
        if tweet.retweet_of_id is not None:
            original = tweet.retweet_of
            shown[-tweet.pk] = original
            _set_shown_quote(original, getattr(tweet, "original_quote_shown", False), shown)
    return list(shown.values())


def _set_shown_quote(tweet: Tweet, may_see: bool, shown: dict[int | str, Tweet]) -> None:
    tweet.shown_quote = tweet.quote_of if tweet.quote_of_id is not None and may_see else None
    if tweet.shown_quote is not None:
        shown[f"q{id(tweet.shown_quote)}"] = tweet.shown_quote
