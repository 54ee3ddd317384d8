"""Every write of the Facebook integration, one module per capability:

- `tokens`: check a user token with Facebook and exchange it for a long-lived one, refresh
  stored tokens, forget revoked ones;
- `login`: log in, link by a verified email, or register;
- `connection`: connect and disconnect a signed-in user's account (and the admin's delete);
- `sync`: profile, friends, likes and avatar from Facebook;
- `shares`: the outbox that publishes tweets to Pages, with its retries;
- `callbacks`: Facebook's signed requests, deauthorize and data deletion.

Import the module, not this package: `from facebook_connect.services import login`.

Graph calls never run inside a database transaction: a slow Facebook must not hold locks.
Each flow first talks to Facebook, then writes in one short transaction, then schedules its
background work on commit.
"""
