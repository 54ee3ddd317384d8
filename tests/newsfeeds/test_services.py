"""Fan-out services: idempotent batches (docs/reliability.md I1), the reconciler, deletions
while queued, and nothing left behind by a rolled-back write (I4)."""

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from core import presence
from core.realtime import user_group
from friendships.services import unfollow_user
from newsfeeds import services, tasks
from newsfeeds.models import Fanout, FanoutBatch, NewsFeed
from tests.conftest import service_missing
from tests.factories import FriendshipFactory, RetweetFactory, TweetFactory, UserFactory
from tests.streams import StreamListener
from tweets.models import Tweet
from tweets.services import delete_tweet, hide_tweet, retweet, undo_retweet

pytestmark = pytest.mark.django_db


@pytest.fixture
def author_with_followers(settings):
    """An author with five followers and batches of two: three batches per fan-out."""
    settings.NEWSFEED_FANOUT_BATCH_SIZE = 2
    author = UserFactory()
    followers = UserFactory.create_batch(5)
    for follower in followers:
        FriendshipFactory(follower=follower, followee=author)
    author.refresh_from_db()
    return author, followers


def feed_owners(tweet) -> list[int]:
    return sorted(NewsFeed.objects.filter(tweet=tweet).values_list("user_id", flat=True))


def assert_i1(tweet, author, followers) -> None:
    """Exactly one row per follower plus the author: no gaps, no duplicates."""
    assert feed_owners(tweet) == sorted([author.pk, *(f.pk for f in followers)])


def test_fanout_splits_followers_into_id_ranges(author_with_followers):
    author, followers = author_with_followers
    tweet = TweetFactory(user=author)  # on-commit work does not run: the fan-out waits

    batch_ids = services.dispatch_fanout(tweet_id=tweet.pk)

    ids = sorted(f.pk for f in followers)
    batches = FanoutBatch.objects.filter(pk__in=batch_ids).order_by("after_id")
    assert [(b.after_id, b.last_id) for b in batches] == [
        (0, ids[1]),
        (ids[1], ids[3]),
        (ids[3], ids[4]),
    ]
    assert services.dispatch_fanout(tweet_id=tweet.pk) == batch_ids  # reused, not remade
    assert FanoutBatch.objects.count() == 3


def test_delivering_every_batch_twice_changes_nothing(author_with_followers):
    author, followers = author_with_followers
    tweet = TweetFactory(user=author)
    batch_ids = services.dispatch_fanout(tweet_id=tweet.pk)

    assert [services.deliver_batch(batch_id=b) for b in batch_ids] == [2, 2, 1]
    assert_i1(tweet, author, followers)
    assert Fanout.objects.get(tweet=tweet).status == Fanout.DONE

    assert [services.deliver_batch(batch_id=b) for b in batch_ids] == [0, 0, 0]
    # Redelivered after its "done" mark was lost: inserts nothing new either.
    FanoutBatch.objects.update(done_at=None)
    assert [services.deliver_batch(batch_id=b) for b in batch_ids] == [2, 2, 1]
    assert_i1(tweet, author, followers)
    assert services.dispatch_fanout(tweet_id=tweet.pk) == []


def test_fanout_task_reaches_every_follower_once(author_with_followers):
    author, followers = author_with_followers
    tweet = TweetFactory(user=author)

    assert tasks.fanout_tweet.delay(tweet.pk).get() == 3
    assert tasks.fanout_tweet.delay(tweet.pk).get() == 0  # done: nothing to resend

    assert_i1(tweet, author, followers)
    fanout = Fanout.objects.get(tweet=tweet)
    assert (fanout.status, fanout.attempts) == (Fanout.DONE, 1)
    assert fanout.completed_at is not None


def test_reconciler_resends_fanouts_pending_too_long(author_with_followers, time_machine):
    author, followers = author_with_followers
    time_machine.move_to("2026-11-26 12:00:00+00:00", tick=False)
    lost = TweetFactory(user=author)  # its on-commit message never goes out
    time_machine.move_to("2026-11-26 12:01:30+00:00", tick=False)
    recent = TweetFactory(user=author)

    # 90 s later: younger than NEWSFEED_RECONCILE_AFTER_SECONDS (120), left alone.
    assert services.reconcile_fanouts() == 0
    time_machine.move_to("2026-11-26 12:02:01+00:00", tick=False)
    assert services.reconcile_fanouts() == 1  # Celery is eager: it runs right away

    assert_i1(lost, author, followers)
    assert Fanout.objects.get(tweet=lost).status == Fanout.DONE
    assert feed_owners(recent) == [author.pk]
    assert Fanout.objects.get(tweet=recent).status == Fanout.PENDING
    time_machine.move_to("2026-11-26 12:05:00+00:00", tick=False)
    assert tasks.reconcile_fanouts.delay().get() == 1
    assert_i1(recent, author, followers)
    assert services.reconcile_fanouts() == 0


def test_reconciler_skips_large_accounts(settings, author_with_followers, time_machine):
    author, _ = author_with_followers
    settings.NEWSFEED_CELEBRITY_THRESHOLD = 5
    time_machine.move_to("2026-11-26 12:00:00+00:00", tick=False)
    tweet = TweetFactory(user=author)
    time_machine.move_to("2026-11-26 13:00:00+00:00", tick=False)

    assert Fanout.objects.get(tweet=tweet).status == Fanout.SKIPPED
    assert services.reconcile_fanouts() == 0
    assert feed_owners(tweet) == [author.pk]


def test_tweet_deleted_while_queued_is_a_noop(author_with_followers):
    author, _ = author_with_followers
    tweet = TweetFactory(user=author)
    batch_ids = services.dispatch_fanout(tweet_id=tweet.pk)

    delete_tweet(actor=author, tweet_id=tweet.pk)

    assert [services.deliver_batch(batch_id=b) for b in batch_ids] == [0, 0, 0]
    assert tasks.fanout_tweet.delay(tweet.pk).get() == 0
    assert not NewsFeed.objects.exists()
    assert not Fanout.objects.exists()


def test_follower_who_left_before_delivery_gets_nothing(author_with_followers):
    author, followers = author_with_followers
    tweet = TweetFactory(user=author)
    batch_ids = services.dispatch_fanout(tweet_id=tweet.pk)

    unfollow_user(follower=followers[0], username=author.username)
    for batch_id in batch_ids:
        services.deliver_batch(batch_id=batch_id)

    assert_i1(tweet, author, followers[1:])


def test_rolled_back_tweet_leaves_no_feed_row_and_no_task(
    author_with_followers, django_capture_on_commit_callbacks
):
    author, _ = author_with_followers
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        TweetFactory(user=author)
        RetweetFactory(user=author)
        raise RuntimeError("the request failed after the tweet was written")

    assert callbacks == []  # no fan-out enqueued, no cache write
    assert not NewsFeed.objects.filter(author=author).exists()
    assert not Fanout.objects.filter(author=author).exists()


def test_rolled_back_follow_leaves_no_feed_row_and_no_task(django_capture_on_commit_callbacks):
    reader, author = UserFactory.create_batch(2)
    TweetFactory(user=author)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        FriendshipFactory(follower=reader, followee=author)
        raise RuntimeError("rolled back")

    assert callbacks == []
    assert not NewsFeed.objects.filter(user=reader).exists()
    reader.refresh_from_db()
    assert reader.following_count == 0


def test_reconciler_window_is_a_setting(settings, author_with_followers, time_machine):
    author, followers = author_with_followers
    settings.NEWSFEED_RECONCILE_AFTER_SECONDS = 10
    time_machine.move_to("2026-11-26 12:00:00+00:00", tick=False)
    tweet = TweetFactory(user=author)
    time_machine.move_to("2026-11-26 12:00:11+00:00", tick=False)

    assert services.reconcile_fanouts(older_than=timedelta(minutes=5)) == 0
    assert services.reconcile_fanouts() == 1
    assert_i1(tweet, author, followers)


def test_delivery_sends_a_newsfeed_event_to_each_follower(author_with_followers, committed):
    author, followers = author_with_followers
    layer = get_channel_layer()
    channels = {}
    for user in (author, *followers):
        channels[user.pk] = async_to_sync(layer.new_channel)()
        async_to_sync(layer.group_add)(user_group(user.pk), channels[user.pk])
        presence.socket_opened(user.pk)  # as each of their sockets does on connect

    with committed():
        tweet = TweetFactory(user=author)

    for follower in followers:
        message = async_to_sync(layer.receive)(channels[follower.pk])
        assert message == {
            "type": "stream.event",
            "event": {"type": "newsfeed", "tweet_id": tweet.pk},
        }


def test_delivery_and_delete_push_only_to_followers_with_an_open_socket(
    author_with_followers, committed
):
    if not settings.REDIS_URL:
        service_missing("presence is tracked in Redis; REDIS_URL is unset")
    author, followers = author_with_followers
    online, offline = followers[0], followers[1]
    listeners = {user.pk: StreamListener(user.pk) for user in (online, offline)}
    presence.socket_opened(online.pk)

    with committed():
        tweet = TweetFactory(user=author)

    assert listeners[online.pk].events() == [{"type": "newsfeed", "tweet_id": tweet.pk}]
    assert listeners[offline.pk].events() == []

    with committed():
        delete_tweet(actor=author, tweet_id=tweet.pk)

    assert listeners[online.pk].events() == [{"type": "tweet_deleted", "tweet_id": tweet.pk}]
    assert listeners[offline.pk].events() == []


def test_rolled_back_delivery_sends_no_event(
    author_with_followers, django_capture_on_commit_callbacks
):
    author, _ = author_with_followers
    tweet = TweetFactory(user=author)
    batch_ids = services.dispatch_fanout(tweet_id=tweet.pk)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.deliver_batch(batch_id=batch_ids[0])
        raise RuntimeError("rolled back")

    assert callbacks == []
    assert feed_owners(tweet) == [author.pk]


def listening(user) -> StreamListener:
    """A listener on the user's group, the user counted online (as their socket would be)."""
    listener = StreamListener(user.pk)
    presence.socket_opened(user.pk)
    return listener


def test_deleting_a_tweet_tells_each_reader_online(author_with_followers, committed):
    """Each user whose feed held the tweet (the author too), or one of its retweets, gets
    `tweet_deleted` for each; nobody else does."""
    author, followers = author_with_followers
    retweeter, reader = followers[0], followers[1]
    stranger = UserFactory()
    listeners = {user.pk: listening(user) for user in (author, retweeter, reader, stranger)}
    with committed():
        tweet = TweetFactory(user=author)
    with committed():
        retweet(user=retweeter, tweet_id=tweet.pk)
    reblog = Tweet.objects.get(retweet_of=tweet, user=retweeter)
    for listener in listeners.values():
        listener.events()  # the fan-out's `newsfeed` events

    with committed():
        delete_tweet(actor=author, tweet_id=tweet.pk)

    deleted = {"type": "tweet_deleted", "tweet_id": tweet.pk}
    assert listeners[author.pk].events() == [deleted]
    assert listeners[reader.pk].events() == [deleted]
    assert listeners[retweeter.pk].events() == [
        deleted,
        {"type": "tweet_deleted", "tweet_id": reblog.pk},
    ]
    assert listeners[stranger.pk].events() == []


def test_an_undone_retweet_is_deleted_for_its_readers(author_with_followers, committed):
    author, followers = author_with_followers
    retweeter = followers[0]
    listener = listening(retweeter)
    tweet = TweetFactory(user=author)
    with committed():
        retweet(user=retweeter, tweet_id=tweet.pk)
    reblog = Tweet.objects.get(retweet_of=tweet, user=retweeter)
    listener.events()

    with committed():
        undo_retweet(user=retweeter, tweet_id=tweet.pk)

    assert listener.events() == [{"type": "tweet_deleted", "tweet_id": reblog.pk}]


def test_a_rolled_back_delete_tells_nobody(
    author_with_followers, committed, django_capture_on_commit_callbacks
):
    author, followers = author_with_followers
    listener = listening(followers[0])
    with committed():
        tweet = TweetFactory(user=author)
    listener.events()

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        delete_tweet(actor=author, tweet_id=tweet.pk)
        raise RuntimeError("rolled back")

    assert callbacks == []
    assert listener.events() == []
    assert Tweet.objects.filter(pk=tweet.pk).exists()


def test_a_withdrawn_tweet_is_not_announced_as_deleted(author_with_followers, committed):
    """Moderation hides a tweet (it stays stored): feeds drop it, no `tweet_deleted`."""
    author, followers = author_with_followers
    listener = listening(followers[0])
    with committed():
        tweet = TweetFactory(user=author)
    listener.events()

    with committed():
        hide_tweet(tweet_id=tweet.pk)

    assert listener.events() == []
