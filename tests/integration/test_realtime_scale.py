"""Real time across processes, at a size CI affords: the production arrangement
(docker-compose.yml's web and ws services) with two ws processes sharing the Redis channel
layer, and real Celery workers.

- 200 sockets over the two ws processes: a tweet's `newsfeed` event reaches every online
  follower, presence counts every socket exactly, and all of them closing at once leaves
  no traceback, no presence and no channel in any group. (bench/sockets.py does the same
  with 1,000 sockets and times it: docs/benchmarks.md#sockets.)
- Two ws processes and two workers: an event caused by a request on one process reaches a
  socket on the other, and one tweet's fan-out batches run on both workers.
"""

from __future__ import annotations

import re
import statistics
import time

import pytest
import requests
from django.conf import settings as django_settings
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from friendships.models import Friendship
from tests.factories import TweetFactory
from tests.integration import servers as servers_module
from tests.integration.conftest import wait_until
from tests.integration.sockets import SocketSwarm, group_members, online_counts

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

FOLLOWERS = 200
EVENT_TIMEOUT = 20


@pytest.fixture
def two_ws_servers(transactional_db, broker, settings, tmp_path):
    """web (gunicorn) and two ws (daphne) processes. They verify tokens with this test
    process's signing key, so tests mint tokens here instead of logging in 200 users."""
    env = {
        **servers_module.server_environment(settings, broker),
        "JWT_SIGNING_KEY": settings.SIMPLE_JWT["SIGNING_KEY"],
    }
    started = servers_module.start_production(env, tmp_path, ws_processes=2)
    try:
        yield started
    finally:
        started.stop()
        print(started.logs())


@pytest.fixture
def swarm():
    with SocketSwarm() as opened:
        yield opened


def followers_of(author: User, count: int, prefix: str) -> list[User]:
    users = User.objects.bulk_create(
        [User(username=f"{prefix}{n}", password="!", following_count=1) for n in range(count)]
    )
    Friendship.objects.bulk_create([Friendship(follower=user, followee=author) for user in users])
    User.objects.filter(pk=author.pk).update(followers_count=count)
    return users


def stream_url(server, user: User) -> str:
    return f"ws://127.0.0.1:{server.port}/ws/stream/?token={AccessToken.for_user(user)}"


def as_user(user: User) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {AccessToken.for_user(user)}"
    return session


def newsfeed_of(tweet_id: int):
    return lambda event: event == {"type": "newsfeed", "tweet_id": tweet_id}


def is_notification(verb: str):
    return lambda event: event["type"] == "notification" and event["notification"]["verb"] == verb


def assert_clean_logs(servers) -> None:
    for server in servers.ws_servers:
        log = server.log()
        for bad in ("Traceback", "MaxConnectionsError", "dropped", "ERROR"):
            assert bad not in log, f"{server.name} logged {bad!r}:\n{log[-4000:]}"


def test_every_online_follower_gets_the_event_and_a_mass_close_leaves_nothing(
    two_ws_servers, start_worker, swarm
):
    start_worker()
    author = User.objects.create_user(username="author", email="author@example.com")
    followers = followers_of(author, FOLLOWERS, "follower")
    ws_a, ws_b = two_ws_servers.ws_servers
    # Every other follower on each process; the author listens for notifications too.
    follower_sockets = swarm.open(
        stream_url(ws_a if n % 2 == 0 else ws_b, user) for n, user in enumerate(followers)
    )
    (author_socket,) = swarm.open([stream_url(ws_b, author)])
    redis_url = django_settings.REDIS_URL
    cache_prefix = django_settings.CACHES["default"]["KEY_PREFIX"]
    channel_prefix = django_settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]
    everyone = [*followers, author]
    assert online_counts(redis_url, cache_prefix) == {user.pk: 1 for user in everyone}
    assert group_members(redis_url, channel_prefix) == {f"user.{user.pk}": 1 for user in everyone}

    api = f"{two_ws_servers.http_url}/api/v1"
    response = as_user(author).post(f"{api}/tweets/", json={"text": "to all of you"}, timeout=30)
    answered = time.monotonic()
    assert response.status_code == 201, response.text
    arrivals = swarm.wait_for(newsfeed_of(response.json()["id"]), follower_sockets, EVENT_TIMEOUT)
    assert len(arrivals) == FOLLOWERS
    latencies = [(arrived - answered) * 1000 for _, arrived, _, _ in arrivals]
    print(
        f"\nnewsfeed event to {FOLLOWERS} sockets on 2 processes: p50 "
        f"{statistics.median(latencies):.0f} ms, max {max(latencies):.0f} ms after the POST"
    )

    liker = followers[0]
    response = as_user(liker).post(f"{api}/tweets/{response.json()['id']}/like/", timeout=30)
    assert response.status_code == 200, response.text
    (arrival,) = swarm.wait_for(is_notification("liked_tweet"), [author_socket], EVENT_TIMEOUT)
    assert arrival[3]["notification"]["actor"]["username"] == liker.username
    # Nobody else got it.
    assert swarm.arrivals(is_notification("liked_tweet"), follower_sockets) == []

    swarm.close_all()
    wait_until(
        lambda: (
            not online_counts(redis_url, cache_prefix)
            and not group_members(redis_url, channel_prefix)
        ),
        30,
        0.1,
        "presence and groups to be empty after every socket closed",
    )
    assert_clean_logs(two_ws_servers)


def test_events_cross_processes_and_fanout_batches_spread_over_workers(
    two_ws_servers, start_worker, swarm
):
    workers = [
        start_worker(concurrency=1, NEWSFEED_FANOUT_BATCH_SIZE="2"),
        start_worker(concurrency=1, NEWSFEED_FANOUT_BATCH_SIZE="2"),
    ]
    ws_a, ws_b = two_ws_servers.ws_servers
    alice = User.objects.create_user(username="alice", email="alice@example.com")
    bob = User.objects.create_user(username="bob", email="bob@example.com")
    alice_tweet, bob_tweet = TweetFactory(user=alice), TweetFactory(user=bob)
    author = User.objects.create_user(username="carol", email="carol@example.com")
    followers = followers_of(author, 16, "reader")
    alice_socket, bob_socket = swarm.open([stream_url(ws_a, alice), stream_url(ws_b, bob)])
    reader_sockets = swarm.open(
        stream_url(ws_a if n % 2 == 0 else ws_b, user) for n, user in enumerate(followers)
    )

    # A request served by one process, the socket held by the other (both ways).
    response = as_user(bob).post(
        f"http://127.0.0.1:{ws_b.port}/api/v1/tweets/{alice_tweet.pk}/like/"
    )
    assert response.status_code == 200, response.text
    (arrival,) = swarm.wait_for(is_notification("liked_tweet"), [alice_socket], EVENT_TIMEOUT)
    assert arrival[3]["notification"]["tweet"]["id"] == alice_tweet.pk
    response = as_user(alice).post(
        f"http://127.0.0.1:{ws_a.port}/api/v1/tweets/{bob_tweet.pk}/like/"
    )
    assert response.status_code == 200, response.text
    (arrival,) = swarm.wait_for(is_notification("liked_tweet"), [bob_socket], EVENT_TIMEOUT)
    assert arrival[3]["notification"]["tweet"]["id"] == bob_tweet.pk

    # One tweet, 8 batches of 2 followers, two workers taking one task at a time.
    response = as_user(author).post(
        f"{two_ws_servers.http_url}/api/v1/tweets/", json={"text": "batches"}, timeout=30
    )
    assert response.status_code == 201, response.text
    arrivals = swarm.wait_for(newsfeed_of(response.json()["id"]), reader_sockets, EVENT_TIMEOUT)
    assert len(arrivals) == len(followers)

    def count_batches() -> list[int]:
        return [
            len(re.findall(r"newsfeeds\.tasks\.fanout_batch\[[^]]+\] succeeded", worker.log()))
            for worker in workers
        ]

    # A batch pushes its event after its commit, before its task returns and logs: the
    # last "succeeded" line may follow the last arrival.
    def eight_batches() -> list[int] | None:
        counts = count_batches()
        return counts if sum(counts) == 8 else None

    batches_done = wait_until(eight_batches, what="8 batches logged")
    assert all(done > 0 for done in batches_done), batches_done
    assert_clean_logs(two_ws_servers)
