"""I3 for follows: users following and unfollowing each other all at once (A follows B
while B follows A) keep exact counters and never meet a lock conflict: both counter rows
are locked in ascending id (docs/reliability.md trap 13). PostgreSQL only, as
tests/tweets/test_concurrency.py."""

from accounts.models import User
from core import outages
from friendships.models import Friendship
from tests.factories import TweetFactory, UserFactory
from tests.tweets import test_concurrency
from tests.tweets.test_concurrency import clients_for, run_in_threads

USERS = 8

pytestmark = test_concurrency.pytestmark  # PostgreSQL only, a transactional database


def test_everyone_following_and_unfollowing_everyone_at_once_keeps_counts_exact():
    users = UserFactory.create_batch(USERS)
    for user in users:
        TweetFactory(user=user)  # something to backfill
    clients = clients_for(users)

    def work(i: int) -> None:
        others = [user for user in users if user != users[i]]
        # Each in another order, so that pairs meet from both sides.
        others = others[i:] + others[:i]
        for other in others:
            response = clients[i].post(f"/api/v1/users/{other.username}/follow/")
            assert response.status_code == 200, response.content
        for other in others[::2]:
            response = clients[i].delete(f"/api/v1/users/{other.username}/follow/")
            assert response.status_code == 200, response.content

    run_in_threads(work, count=USERS)

    for user in User.objects.filter(pk__in=[u.pk for u in users]):
        assert user.followers_count == Friendship.objects.filter(followee=user).count()
        assert user.following_count == Friendship.objects.filter(follower=user).count()
        assert user.following_count == (USERS - 1) // 2
    assert "transaction_retried" not in outages.counts()
