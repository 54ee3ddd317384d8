"""Redis away (docs/reliability.md fault test 8): hung (the process stopped with SIGSTOP, so
connections are accepted and never answered) and then gone (killed, and restarted empty).
Meanwhile clients post, like, follow, log in and read their feeds with throttles on: every
answer is the one Redis being up would give (posts 201), none waits on Redis beyond its
timeouts, throttles let requests through and count it, feeds come from the table, and
`/readyz` names what is down. When Redis is back, everything recovers without a restart:
throttles count again, feeds are cached again, sockets get events again, and the fan-outs
that could not be enqueued are finished by the reconciler (I1).

The servers are the production arrangement (tests/integration/servers.py), the worker a real
Celery worker; Redis (cache, channel layer and broker) is a `redis-server` of this test's own.
"""

from datetime import timedelta
from functools import partial

import pytest
from django.conf import settings

from newsfeeds import services
from newsfeeds.models import Fanout
from notifications.consumers import TRY_AGAIN_LATER
from tests.integration import processes
from tests.integration.conftest import use_broker, wait_until
from tests.integration.feeds import add_followers, assert_feeds_complete
from tests.integration.processes import call, wait_for_status
from tests.integration.realtime_fixtures import StreamReader
from tests.integration.servers import server_environment, start_production

# Fixtures of processes.py (conftest.py is another suite's): naming them is how pytest
# finds them.
redis_server = processes.redis_server

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-9"
FOLLOWERS = 30
LOGIN_RATE = 1  # a minute: low, so that counting (or not) shows


@pytest.fixture
def servers(redis_server, broker, settings, tmp_path):
    """One gunicorn worker, so that /readyz shows the counts of every HTTP request."""
    environment = {
        **server_environment(settings, broker),
        "REDIS_URL": redis_server.url(0),
        "CELERY_BROKER_URL": redis_server.url(1),
        "THROTTLE_ENABLED": "true",
        "THROTTLE_RATES": f"login={LOGIN_RATE}/min",
        "LOG_LEVEL": "INFO",
    }
    servers = start_production(environment, tmp_path, web_concurrency=1)
    try:
        yield servers
    finally:
        servers.stop()
        print(servers.logs())


@pytest.fixture
def worker(start_worker, redis_server, broker):
    """A worker on this test's Redis, and this process publishing there too (the
    reconciler); the broker fixture restores the shared broker afterwards."""
    use_broker(redis_server.url(1))
    return start_worker(
        REDIS_URL=redis_server.url(0),
        CELERY_BROKER_URL=redis_server.url(1),
        NEWSFEED_FANOUT_BATCH_SIZE="10",
    )


def test_redis_hung_then_gone_requests_succeed_and_everything_recovers(
    servers, worker, redis_server
):
    http = partial(call, servers["web"].url)

    def signup(username: str) -> dict:
        body = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
        answer = http("POST", "/api/v1/auth/signup/", body)
        assert answer.status_code == 201, answer.text
        return answer.json()

    author, reader, newcomer = signup("author"), signup("reader"), signup("newcomer")
    add_followers(author["user"]["id"], FOLLOWERS)
    assert http("POST", "/api/v1/users/author/follow/", token=reader["access"]).ok
    first = http("POST", "/api/v1/tweets/", {"text": "before"}, token=author["access"]).json()
    wait_until(lambda: fanned_out(first["id"]), 30, what="the first fan-out")
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    cache = redis_server.client(0)
    feed_key = f"{prefix}:feed:{reader['user']['id']}"
    assert feed_ids(http, reader) == [first["id"]]
    assert cache.exists(feed_key)  # cached from here on

    answers = []
    posted = [first["id"]]

    def degraded_requests(phase: str) -> None:
        """What clients keep doing while Redis is away; every answer is kept."""
        tweet = http("POST", "/api/v1/tweets/", {"text": phase}, token=author["access"])
        answers.append((phase, "post", tweet))
        if tweet.status_code == 201:
            posted.append(tweet.json()["id"])
        like = http("POST", f"/api/v1/tweets/{first['id']}/like/", token=reader["access"])
        answers.append((phase, "like", like))
        follow = http("POST", "/api/v1/users/author/follow/", token=newcomer["access"])
        answers.append((phase, "follow", follow))
        for _ in range(LOGIN_RATE + 1):
            login = http(
                "POST", "/api/v1/auth/login/", {"username": "reader", "password": PASSWORD}
            )
            answers.append((phase, "login", login))
        # From the table (the cache does not answer): the author's own new tweets included.
        feed = http("GET", "/api/v1/newsfeed/", token=author["access"])
        answers.append((phase, "feed", feed))
        assert [item["id"] for item in feed.json()["results"]] == posted[::-1]
        ready = http("GET", "/readyz")
        assert ready.status_code == 503
        assert {"cache", "channel_layer", "broker"} <= set(ready.json()["down"])

    listening = StreamReader(f"{servers.ws_url}/ws/stream/?token={reader['access']}").start()
    listening.send({"type": "ping"})
    listening.next(lambda event: event["type"] == "pong")

    redis_server.pause()
    degraded_requests("hung")
    redis_server.resume()
    redis_server.stop()
    degraded_requests("gone")

    print("\nanswer times with Redis away (production servers, this machine):")
    for phase, name, answer in answers:
        print(
            f"  {phase:<5} {name:<7} {answer.status_code} {answer.elapsed.total_seconds():6.2f} s"
        )
    # The open socket can get no event any more: closed with "try again later", cleanly.
    wait_until(lambda: listening.close_code is not None, 15, what="the socket to close")
    assert listening.close_code == TRY_AGAIN_LATER
    listening.close()
    not_ok = [(phase, name, answer.status_code) for phase, name, answer in answers if not answer.ok]
    assert not not_ok, f"with Redis away, answers other than 2xx: {not_ok}"
    assert all(answer.status_code == 201 for _, name, answer in answers if name == "post")
    counted = http("GET", "/readyz").json()["degraded"]["throttle_fail_open"]
    throttled = sum(1 for _, name, _ in answers if name in ("post", "like", "follow", "login"))
    assert counted >= throttled

    redis_server.start()  # empty: no persistence

    wait_for_status(servers["web"].url, "/readyz", 200)
    # Throttles count again: the (fresh) login bucket fills up.
    logins = [
        http("POST", "/api/v1/auth/login/", {"username": "reader", "password": PASSWORD})
        for _ in range(LOGIN_RATE + 1)
    ]
    assert [answer.status_code for answer in logins] == [200] * LOGIN_RATE + [429]
    # Feeds are cached again.
    assert feed_ids(http, reader) == [first["id"]]  # the outage's tweets are not fanned out yet
    assert cache.exists(feed_key)
    # Sockets get events again (presence and the channel layer reconnected).
    socket = StreamReader(f"{servers.ws_url}/ws/stream/?token={reader['access']}").start()
    try:
        wait_until(
            lambda: cache.hget(f"{prefix}:online", reader["user"]["id"]), 10, what="presence"
        )
        mine = http("POST", "/api/v1/tweets/", {"text": "after"}, token=reader["access"]).json()
        assert http("POST", f"/api/v1/tweets/{mine['id']}/like/", token=author["access"]).ok
        _, event = socket.next(lambda event: event["type"] == "notification")
        assert event["notification"]["verb"] == "liked_tweet"
    finally:
        socket.close()
    # The fan-outs that could not be enqueued are finished by the reconciler (I1).
    assert services.reconcile_fanouts(older_than=timedelta(0)) >= 1
    wait_until(lambda: all(fanned_out(tweet_id) for tweet_id in posted), 60, what="fan-outs")
    assert_feeds_complete()
    assert feed_ids(http, reader) == [mine["id"], *posted[::-1]]
    logs = "".join(server.log() for server in servers.servers)
    assert "Internal Server Error" not in logs
    assert "Exception inside application" not in logs  # daphne's word for a crashed consumer


def fanned_out(tweet_id: int) -> bool:
    return Fanout.objects.filter(tweet_id=tweet_id, status=Fanout.DONE).exists()


def feed_ids(http, user: dict) -> list[int]:
    answer = http("GET", "/api/v1/newsfeed/", token=user["access"])
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json()["results"]]
