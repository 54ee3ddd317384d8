"""The home timeline in process: `GET /api/v1/newsfeed/` against `GET /api/v1/me/` through
the whole Django stack (django.test.Client: middleware, JWT, DRF; no server), its SQL
queries warm and cold, and the same page for a reader who mutes 500 users (issue 13).

A `make bench` group (bench/run.py): `part(ctx)`. The reads themselves are
bench/fanout.py's `measure_reads`, which `make bench`'s fan-out run used before.
"""

from __future__ import annotations

import common
import fanout


def add_mutes(reader, count: int, followed: int) -> int:
    """`reader` mutes `count` users: `followed` of the authors it follows (their tweets are
    in its feed rows and must be left out of the page) and new users for the rest."""
    from accounts.models import User
    from friendships.models import Friendship
    from newsfeeds import cache
    from safety.models import Mute

    followees = list(
        Friendship.objects.filter(follower=reader)
        .order_by("followee_id")
        .values_list("followee_id", flat=True)[:followed]
    )
    others = User.objects.bulk_create(
        [User(username=f"bench_m{n}", password="!") for n in range(count - len(followees))],
        batch_size=5000,
    )
    Mute.objects.bulk_create(
        [Mute(muter=reader, muted_id=muted) for muted in followees + [u.pk for u in others]]
    )
    cache.invalidate([reader.pk])  # as muting through the API does
    return len(followees)


def part(ctx) -> dict:
    sizes = ctx.sizes
    ctx.fresh_database()
    ctx.progress(
        f"a reader following {sizes['followees']} authors, {sizes['tweets_each']} tweets each"
    )
    reader = fanout.seed_reader(sizes["followees"], sizes["tweets_each"])
    common.analyze()
    ctx.progress(f"{sizes['requests']} requests each: /me/, /newsfeed/")
    reads = fanout.measure_reads(reader, sizes["requests"], sizes["max_seconds"])
    feed, me = reads["newsfeed"], reads["me"]

    ctx.progress(f"the same reader muting {sizes['mutes']} users")
    muted_followees = add_mutes(reader, sizes["mutes"], followed=2)
    common.analyze()
    muted = fanout.measure_reads(reader, sizes["requests"], sizes["max_seconds"])["newsfeed"]
    mutes = f"{sizes['mutes']} mutes"
    return {
        "figures": {
            "reads": reads,
            "muted": {**muted, "mutes": sizes["mutes"], "muted_followees": muted_followees},
            "followees": sizes["followees"],
            "tweets_each": sizes["tweets_each"],
        },
        "checks": [
            common.check("newsfeed SQL queries, warm", feed["queries_warm"], "", ("<=", 4)),
            common.check("newsfeed SQL queries, cold", feed["queries_cold"], "", ("<=", 5)),
            common.check("/me/ SQL queries", me["queries_warm"], ""),
            common.check("newsfeed in process, p50", feed["p50_ms"], "ms", ("<=", 12)),
            common.check("/me/ in process, p50", me["p50_ms"], "ms"),
            common.check(
                "newsfeed / /me/ CPU per request",
                round(feed["cpu_ms_per_request"] / me["cpu_ms_per_request"], 2),
                "x",
            ),
            common.check(
                f"newsfeed, {mutes}: SQL queries warm", muted["queries_warm"], "", ("<=", 4)
            ),
            common.check(
                f"newsfeed, {mutes}: SQL queries cold", muted["queries_cold"], "", ("<=", 5)
            ),
            common.check(f"newsfeed, {mutes}: in process, p50", muted["p50_ms"], "ms", ("<=", 12)),
        ],
        "distributions": {
            "GET /me/": me["quantiles_ms"],
            "GET /newsfeed/": feed["quantiles_ms"],
            f"GET /newsfeed/, {mutes}": muted["quantiles_ms"],
        },
        "throughput": {
            "/me/": common.rate(me["requests_per_second"], "req/s in process"),
            "/newsfeed/": common.rate(feed["requests_per_second"], "req/s in process"),
            f"/newsfeed/, {mutes}": common.rate(muted["requests_per_second"], "req/s in process"),
        },
    }
