"""Deadlocks (docs/reliability.md fault test 10, trap 13): requests that lock the same rows race
through HTTP on the production servers (gunicorn's 2 x 4 threads, PostgreSQL), released
together by a barrier. Only 2xx and 404 may answer, never 500; afterwards the counters are
exact (I3), and nothing a rolled-back attempt wrote is left in feeds or cached feeds (I4).

- the author deletes a tweet while its 6 fans unlike and unretweet it, several trials;
- 72 fans unlike a tweet at once while its author deletes it;
- retweets and unretweets race the fan-out batches of those retweets (a real Celery worker).

Tokens are signed in this process with the servers' JWT key: a login per user (PBKDF2)
would cost seconds each.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
import requests
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from newsfeeds.models import Fanout
from notifications.models import Notification, Verb
from tests.factories import UserFactory
from tests.integration.conftest import wait_until
from tests.integration.feeds import add_followers, assert_feeds_complete
from tests.integration.invariants import assert_counters_exact, assert_no_phantoms
from tests.integration.servers import production, server_environment
from tweets import services
from tweets.models import Like, Tweet

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(300),
]

FANS = 6
TRIALS = 5
UNLIKERS = 72
HTTP_TIMEOUT = 60  # 72 requests queue for 8 server threads


@pytest.fixture
def servers(broker, settings, tmp_path):
    """docker-compose's web and ws, trusting this process's JWT key."""
    environment = {
        **server_environment(settings, broker),
        "JWT_SIGNING_KEY": api_settings.SIGNING_KEY,
    }
    with production(environment, tmp_path) as servers:
        yield servers


def token(user: User) -> str:
    return str(RefreshToken.for_user(user).access_token)


def storm(base_url: str, calls: list[tuple[str, str, str]]) -> list[tuple[str, str, int | str]]:
    """Send every (method, path, token) call from its own thread, all released at once.
    Returns (method, path, status), status "error" when no answer came."""
    barrier = threading.Barrier(len(calls))
    answers: list[tuple[str, str, int | str]] = [("", "", "error")] * len(calls)

    def send(index: int) -> None:
        method, path, bearer = calls[index]
        with requests.Session() as session:
            barrier.wait(timeout=30)
            try:
                status = session.request(
                    method,
                    base_url + path,
                    headers={"Authorization": f"Bearer {bearer}", "Accept": "application/json"},
                    timeout=HTTP_TIMEOUT,
                ).status_code
            except requests.RequestException:
                status = "error"
        answers[index] = (method, path, status)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def unexpected(answers, allowed=(200, 204, 404)) -> Counter:
    return Counter(
        (method, path.split("/")[-2], status)
        for method, path, status in answers
        if status not in allowed
    )


def assert_clean_logs(servers) -> None:
    logs = "".join(server.log() for server in servers.servers)
    assert "Internal Server Error" not in logs
    assert "deadlock detected" not in logs


def test_author_deletes_a_tweet_while_fans_unlike_and_unretweet_it(servers):
    author = UserFactory()
    fans = UserFactory.create_batch(FANS)
    author_token, fan_tokens = token(author), [token(fan) for fan in fans]
    bad: Counter = Counter()
    for trial in range(TRIALS):
        tweet = services.create_tweet(author=author, text=f"trial {trial}")
        for fan in fans:
            services.like_tweet(user=fan, tweet_id=tweet.pk)
            services.retweet(user=fan, tweet_id=tweet.pk)
        base = f"/api/v1/tweets/{tweet.pk}"
        calls = [("DELETE", f"{base}/", author_token)]
        for fan_token in fan_tokens:
            calls += [
                ("DELETE", f"{base}/like/", fan_token),
                ("DELETE", f"{base}/retweet/", fan_token),
            ]
        answers = storm(servers.http_url, calls)
        bad.update(unexpected(answers[1:]))
        if answers[0][2] != 204:
            bad[("author's DELETE", answers[0][2])] += 1

    assert not bad, f"answers other than 2xx/404 over {TRIALS} trials: {dict(bad)}"
    assert not Tweet.objects.filter(user=author).exists()
    assert not Like.objects.exists()
    assert_counters_exact()
    assert_no_phantoms([author.pk, *(fan.pk for fan in fans)])
    assert_clean_logs(servers)


def test_many_unlikes_race_the_authors_delete(servers):
    author = UserFactory()
    fans = UserFactory.create_batch(UNLIKERS)
    tweet = services.create_tweet(author=author, text="liked by many")
    for fan in fans:
        services.like_tweet(user=fan, tweet_id=tweet.pk)
    base = f"/api/v1/tweets/{tweet.pk}"
    calls = [("DELETE", f"{base}/like/", token(fan)) for fan in fans]
    calls.insert(UNLIKERS // 2, ("DELETE", f"{base}/", token(author)))

    answers = storm(servers.http_url, calls)

    bad = unexpected(answers)
    assert not bad, f"answers other than 2xx/404 among {len(calls)}: {dict(bad)}"
    assert not Tweet.objects.filter(pk=tweet.pk).exists()
    assert_counters_exact()
    assert_clean_logs(servers)


def test_retweets_and_unretweets_race_their_fanout(servers, start_worker):
    """Each fan's retweet fans out to their 40 followers in batches of 4 while the fan
    unretweets and retweets again: batches insert feed rows of a retweet being deleted."""
    start_worker(NEWSFEED_FANOUT_BATCH_SIZE="4")
    author = UserFactory()
    original = services.create_tweet(author=author, text="retweet me")
    fans = UserFactory.create_batch(FANS)
    for fan in fans:
        add_followers(fan.pk, 40)
    path = f"/api/v1/tweets/{original.pk}/retweet/"
    tokens = [token(fan) for fan in fans]
    answers = []
    lock = threading.Lock()

    def toggle(bearer: str, rounds: int) -> None:
        mine = []
        with requests.Session() as session:
            for n in range(rounds):
                method = "POST" if n % 2 == 0 else "DELETE"
                response = session.request(
                    method,
                    servers.http_url + path,
                    headers={"Authorization": f"Bearer {bearer}"},
                    timeout=HTTP_TIMEOUT,
                )
                mine.append((method, path, response.status_code))
        with lock:
            answers.extend(mine)

    # Odd rounds end retweeted, even ones unretweeted.
    threads = [
        threading.Thread(target=toggle, args=(bearer, 9 + i % 2)) for i, bearer in enumerate(tokens)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    bad = unexpected(answers, allowed=(200,))
    assert not bad, f"answers other than 200 among {len(answers)}: {dict(bad)}"
    wait_until(
        lambda: not Fanout.objects.filter(status=Fanout.PENDING).exists(), 60, what="fan-outs"
    )
    retweeters = [fan for i, fan in enumerate(fans) if i % 2 == 0]
    assert set(Tweet.objects.filter(retweet_of=original).values_list("user", flat=True)) == {
        fan.pk for fan in retweeters
    }
    assert_feeds_complete()
    assert_counters_exact()
    assert_no_phantoms([fan.pk for fan in fans])
    # One notification per fan, however many times their retweet was made and undone.
    notified = Notification.objects.filter(verb=Verb.RETWEETED, tweet=original)
    assert sorted(notified.values_list("actor", flat=True)) == sorted(fan.pk for fan in fans)
    assert_clean_logs(servers)
