"""The demo data of a fresh checkout, created through the services (so feeds, counters and
notifications are what the API would produce) by `manage.py seed_demo`.

Each section below is a function taking the command's writer; SECTIONS lists them in the
order they depend on each other.
"""

from collections.abc import Callable
from dataclasses import dataclass

from accounts import services as account_services
from accounts.models import User
from friendships import services as friendship_services
from messaging import services as messaging_services
from tweets import services as tweet_services

DEMO_PASSWORD = "chirp-demo-pass"
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "chirp-admin-pass"


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    bio: str
    location: str = ""


DEMO_USERS = (
    DemoUser("alice", "Alice", "Backend engineer. Writes about Django and databases.", "Lisbon"),
    DemoUser("bob", "Bob", "Mobile developer, coffee enthusiast.", "Berlin"),
    DemoUser("carol", "Carol", "Designer who tweets about typography.", "Toronto"),
)

Write = Callable[[str], None]


def seed_users(write: Write) -> None:
    """Demo users through the signup service, with verified emails and a profile."""
    for demo in DEMO_USERS:
        user = account_services.create_user(
            username=demo.username, email=f"{demo.username}@example.com", password=DEMO_PASSWORD
        )
        # Verified before the transaction commits, so the verification email queued by
        # signup finds nothing to send.
        User.objects.filter(pk=user.pk).update(email_verified=True)
        account_services.update_profile(
            user=user,
            data={"display_name": demo.display_name, "bio": demo.bio, "location": demo.location},
        )
        write(f"  user {demo.username} / {DEMO_PASSWORD}")


def seed_admin(write: Write) -> None:
    """A superuser for /admin/, unless one with that name exists already."""
    if User.objects.filter(username__iexact=ADMIN_USERNAME).exists():
        write(f"  superuser {ADMIN_USERNAME} exists already (password unchanged)")
        return
    admin = User.objects.create_superuser(
        ADMIN_USERNAME, email="admin@example.com", password=ADMIN_PASSWORD
    )
    User.objects.filter(pk=admin.pk).update(email_verified=True, display_name="Admin")
    write(f"  superuser {ADMIN_USERNAME} / {ADMIN_PASSWORD} (log in at /admin/)")


DEMO_FOLLOWS = (("alice", "bob"), ("bob", "alice"), ("carol", "alice"), ("bob", "carol"))
DEMO_TWEETS = (
    ("alice", "Shipping a push-model newsfeed on #django and #celery today. Reviews welcome @bob!"),
    ("bob", "Dark mode for the app is done. #mobile #design"),
    ("carol", "Kerning matters more than you think. #design #typography"),
    ("alice", "Idempotent tasks are the only kind of tasks. #celery"),
)


def seed_social(write: Write) -> None:
    """Follows, tweets, a like, a retweet, a comment and a direct message, through the
    services (so feeds, counters and notifications are what the API would produce)."""
    users = {
        user.username: user for user in User.objects.filter(username__in=["alice", "bob", "carol"])
    }
    for follower, followee in DEMO_FOLLOWS:
        friendship_services.follow_user(follower=users[follower], username=followee)
    tweets = [
        tweet_services.create_tweet(author=users[author], text=text) for author, text in DEMO_TWEETS
    ]
    tweet_services.like_tweet(user=users["bob"], tweet_id=tweets[0].pk)
    tweet_services.retweet(user=users["carol"], tweet_id=tweets[0].pk)
    tweet_services.create_comment(author=users["bob"], tweet_id=tweets[0].pk, text="Looks great!")
    conversation, _ = messaging_services.get_or_create_conversation(
        user=users["bob"], username="alice"
    )
    messaging_services.send_message(
        sender=users["bob"], conversation=conversation, text="Coffee later?"
    )
    tweet_services.compute_trends()
    write(
        f"  {len(DEMO_FOLLOWS)} follows, {len(tweets)} tweets, a like, a retweet, a comment, a message"
    )


# Sections run in this order, in one transaction: a failure leaves no partial demo data.
SECTIONS: tuple[Callable[[Write], None], ...] = (seed_users, seed_admin, seed_social)


def demo_accounts() -> list[tuple[str, str]]:
    """(username, password) of the demo accounts that exist, as seeded (a password changed
    since is not known here)."""
    seeded = {demo.username: DEMO_PASSWORD for demo in DEMO_USERS}
    seeded[ADMIN_USERNAME] = ADMIN_PASSWORD
    existing = set(User.objects.filter(username__in=seeded).values_list("username", flat=True))
    return [(username, password) for username, password in seeded.items() if username in existing]
