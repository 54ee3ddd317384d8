"""A realistic social graph for HTTP benchmarks, written in bulk (seconds, not the minutes
the services would take for a million feed rows), with every denormalised count equal to
what it stands for, then ANALYZE so the planner sees the real table sizes.

Each of `users` users follows `follows_each` others chosen at random (a fixed seed), posts
`tweets_each` tweets spread over the last week and likes `likes_each` tweets of people they
follow; every follower has a NewsFeed row per tweet of whom they follow (what the fan-out
would have written), and every tweet a done Fanout.
"""

from __future__ import annotations

import random
from datetime import timedelta


def seed_network(
    *, users: int, follows_each: int, tweets_each: int, likes_each: int, seed: int = 42
) -> list[int]:
    """Returns the user ids, in creation order."""
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import User
    from friendships.models import Friendship
    from newsfeeds.models import Fanout
    from tweets.models import Like, Tweet

    rng = random.Random(seed)
    now = timezone.now()
    with transaction.atomic():
        created = User.objects.bulk_create(
            [
                User(
                    username=f"bench_u{n}",
                    email=f"u{n}@bench.invalid",
                    email_verified=True,
                    display_name=f"Bench user {n}",
                    bio="Reading and writing for the benchmark.",
                    password="!",  # unusable: the benchmark mints tokens directly
                )
                for n in range(users)
            ],
            batch_size=5000,
        )
        ids = [user.pk for user in created]
        follows: dict[int, list[int]] = {}
        friendships = []
        for user_id in ids:
            followees = rng.sample([other for other in ids if other != user_id], follows_each)
            follows[user_id] = followees
            friendships += [
                Friendship(follower_id=user_id, followee_id=followee, created_at=now)
                for followee in followees
            ]
        Friendship.objects.bulk_create(friendships, batch_size=10_000)

        week = 7 * 24 * 3600
        tweets = Tweet.objects.bulk_create(
            [
                Tweet(
                    user_id=user_id,
                    text=f"Tweet {n} of user {user_id}: a few words about the day #bench",
                    created_at=now - timedelta(seconds=rng.randrange(week)),
                )
                for user_id in ids
                for n in range(tweets_each)
            ],
            batch_size=10_000,
        )
        Fanout.objects.bulk_create(
            [
                Fanout(
                    tweet_id=tweet.pk,
                    author_id=tweet.user_id,
                    status=Fanout.DONE,
                    created_at=tweet.created_at,
                    completed_at=tweet.created_at,
                )
                for tweet in tweets
            ],
            batch_size=10_000,
        )
        tweets_of: dict[int, list[int]] = {}
        for tweet in tweets:
            tweets_of.setdefault(tweet.user_id, []).append(tweet.pk)
        likes = []
        for user_id in ids:
            seen = [tweet for followee in follows[user_id] for tweet in tweets_of[followee]]
            likes += [
                Like(user_id=user_id, tweet_id=tweet_id, created_at=now)
                for tweet_id in rng.sample(seen, min(likes_each, len(seen)))
            ]
        Like.objects.bulk_create(likes, batch_size=10_000)

        with connection.cursor() as cursor:
            # Each feed: the user's own tweets and those of everyone they follow.
            cursor.execute(
                "INSERT INTO newsfeeds_newsfeed (user_id, tweet_id, author_id, created_at) "
                "SELECT f.follower_id, t.id, t.user_id, t.created_at "
                "FROM friendships_friendship f JOIN tweets_tweet t ON t.user_id = f.followee_id "
                "UNION ALL SELECT t.user_id, t.id, t.user_id, t.created_at FROM tweets_tweet t"
            )
            cursor.execute(
                "UPDATE accounts_user u SET "
                "followers_count = (SELECT count(*) FROM friendships_friendship "
                "                   WHERE followee_id = u.id), "
                "following_count = (SELECT count(*) FROM friendships_friendship "
                "                   WHERE follower_id = u.id), "
                "tweets_count = (SELECT count(*) FROM tweets_tweet WHERE user_id = u.id)"
            )
            cursor.execute(
                "UPDATE tweets_tweet t SET likes_count = l.n FROM "
                "(SELECT tweet_id, count(*) AS n FROM tweets_like "
                " WHERE tweet_id IS NOT NULL GROUP BY tweet_id) l WHERE l.tweet_id = t.id"
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return ids


def counts() -> dict[str, int]:
    from accounts.models import User
    from friendships.models import Friendship
    from newsfeeds.models import NewsFeed
    from tweets.models import Like, Tweet

    return {
        "users": User.objects.count(),
        "follows": Friendship.objects.count(),
        "tweets": Tweet.objects.count(),
        "likes": Like.objects.count(),
        "feed_rows": NewsFeed.objects.count(),
    }
