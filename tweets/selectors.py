"""Reads of tweets and comments, and the hydration every tweet list shares.

A page of tweets costs a fixed number of queries whatever its size: one for the page
(authors and retweeted originals joined in), then one each for photos, hashtags and
mentions of every tweet on it, and, for a signed-in viewer, one each for their likes and
retweets among them. The newsfeed hydrates its pages with the same function.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import User
from accounts.selectors import get_active_user
from core.exceptions import NotFound
from tweets.models import Comment, Like, Mention, Trend, Tweet, TweetHashtag, TweetPhoto
from tweets.parsing import normalise_text

SEARCH_CONFIG = "english"
TWEET_RELATED = ("user", "retweet_of", "retweet_of__user")


def get_tweet(*, tweet_id: int, for_update: bool = False) -> Tweet:
    queryset = Tweet.objects.all()
    if for_update:
        queryset = queryset.select_for_update()
    tweet = queryset.filter(pk=tweet_id).first()
    if tweet is None:
        raise NotFound("No tweet with that id.")
    return tweet


def get_original(*, tweet_id: int) -> Tweet:
    """The tweet itself, or for a retweet the tweet it retweets."""
    tweet = get_tweet(tweet_id=tweet_id)
    return tweet.retweet_of if tweet.retweet_of_id else tweet


def get_tweet_for_display(*, tweet_id: int, viewer: User | None) -> Tweet:
    tweet = Tweet.objects.select_related(*TWEET_RELATED).filter(pk=tweet_id).first()
    if tweet is None:
        raise NotFound("No tweet with that id.")
    hydrate_tweets([tweet], viewer=viewer)
    return tweet


def get_comment(*, comment_id: int, for_update: bool = False) -> Comment:
    queryset = Comment.objects.select_related("tweet")
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    comment = queryset.filter(pk=comment_id).first()
    if comment is None:
        raise NotFound("No comment with that id.")
    return comment


def list_tweets(*, hashtag: str | None = None, q: str | None = None) -> QuerySet:
    """Tweets, newest first (paginated by id); filtered by hashtag and/or search words."""
    queryset = Tweet.objects.select_related(*TWEET_RELATED)
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


def list_user_tweets(*, username: str) -> QuerySet:
    """A user's tweets and retweets, newest first."""
    user = get_active_user(username=username)
    return Tweet.objects.select_related(*TWEET_RELATED).filter(user=user)


def list_likes(*, tweet_id: int) -> QuerySet:
    """Likes of a tweet with their users, most recent first."""
    tweet = get_original(tweet_id=tweet_id)
    return Like.objects.filter(tweet=tweet).select_related("user")


def list_comments(*, tweet_id: int, viewer: User | None) -> QuerySet:
    """Comments on a tweet, oldest first, with the viewer's `has_liked`."""
    tweet = get_original(tweet_id=tweet_id)
    queryset = Comment.objects.filter(tweet=tweet).select_related("user")
    return with_comment_flags(queryset, viewer=viewer)


def with_comment_flags(queryset: QuerySet, *, viewer: User | None) -> QuerySet:
    if viewer is None:
        return queryset
    return queryset.annotate(
        has_liked=Exists(Like.objects.filter(comment=OuterRef("pk"), user=viewer))
    )


def get_comment_for_display(*, comment_id: int, viewer: User | None) -> Comment:
    comment = with_comment_flags(
        Comment.objects.select_related("user").filter(pk=comment_id), viewer=viewer
    ).first()
    if comment is None:
        raise NotFound("No comment with that id.")
    return comment


def list_trends() -> QuerySet:
    return Trend.objects.order_by("rank")


def hydrate_tweets(tweets: Sequence[Tweet], *, viewer: User | None) -> Sequence[Tweet]:
    """Attach photos, hashtags, mentions and the viewer's flags to tweets and to the
    originals they retweet, in a fixed number of queries. Returns `tweets`."""
    shown = _with_originals(tweets)
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

    liked: set[int] = set()
    retweeted: set[int] = set()
    if viewer is not None and viewer.is_authenticated:
        liked = set(
            Like.objects.filter(user=viewer, tweet_id__in=ids).values_list("tweet_id", flat=True)
        )
        retweeted = set(
            Tweet.objects.filter(user=viewer, retweet_of_id__in=ids).values_list(
                "retweet_of_id", flat=True
            )
        )

    for tweet in shown:
        tweet.photo_list = photos.get(tweet.pk, [])
        tweet.hashtag_names = hashtags.get(tweet.pk, [])
        tweet.mention_names = mentions.get(tweet.pk, [])
        tweet.has_liked = tweet.pk in liked
        tweet.has_retweeted = tweet.pk in retweeted
    return tweets


def _with_originals(tweets: Iterable[Tweet]) -> list[Tweet]:
    shown: dict[int, Tweet] = {}
    for tweet in tweets:
        shown.setdefault(tweet.pk, tweet)
        if tweet.retweet_of_id is not None:
            # The nested original is its own object; hydrate it even if it is also on the page.
            shown[-tweet.pk] = tweet.retweet_of
    return list(shown.values())
