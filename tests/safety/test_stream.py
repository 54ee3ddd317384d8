"""The stream socket carries nothing about a blocked user, and no feed event for a muted
one (docs/safety.md): every event follows a stored row, and blocks and mutes keep those
rows (or their pushes) from being made. Whole ASGI application, committed transactions."""

import pytest
from channels.db import database_sync_to_async

from safety.models import Block, Mute
from tests.factories import FriendshipFactory, RetweetFactory, TweetFactory
from tests.notifications.test_consumers import (  # noqa: F401 (the autouse fixture)
    TIMEOUT,
    _clean_up_sockets_and_connections,
    connected_stream,
    make_user,
)

pytestmark = pytest.mark.django_db(transaction=True)


async def test_no_event_about_a_blocked_or_muted_user_reaches_the_socket():
    alice, bob = await make_user(username="alice"), await make_user(username="bob")
    carol, dave = await make_user(username="carol"), await make_user(username="dave")
    for followee in (carol, dave):
        await database_sync_to_async(FriendshipFactory)(follower=alice, followee=followee)
    bobs = await database_sync_to_async(TweetFactory)(user=bob)
    await database_sync_to_async(Block.objects.create)(blocker=alice, blocked=bob)
    await database_sync_to_async(Mute.objects.create)(muter=alice, muted=dave)
    socket = await connected_stream(alice)

    # Carol retweets Bob (fan-out to Alice is left out), Bob mentions Alice (no
    # notification), Dave tweets (Alice mutes him: the row, but no push).
    await database_sync_to_async(RetweetFactory)(user=carol, retweet_of=bobs)
    await database_sync_to_async(TweetFactory)(user=bob, text="hello @alice")
    await database_sync_to_async(TweetFactory)(user=dave)
    assert await socket.receive_nothing(timeout=0.5)

    # And the socket works: Carol's own tweet arrives.
    carols = await database_sync_to_async(TweetFactory)(user=carol)
    assert await socket.receive_json_from(timeout=TIMEOUT) == {
        "type": "newsfeed",
        "tweet_id": carols.pk,
    }
    await socket.disconnect()
