"""Mastodon's entities for lists of Chirp's objects, with the reads they need in a fixed
number of queries: shared by the views and the streaming socket (mastodon_api.consumers),
which renders the same entities outside a request."""

from django.db.models import Exists, OuterRef
from rest_framework.response import Response

from accounts.models import User
from friendships import selectors as friendship_selectors
from friendships.models import FollowRequest
from mastodon_api import entities, selectors
from mastodon_api.pagination import Page
from notifications.models import Verb
from tweets import selectors as tweet_selectors
from tweets.parsing import parse_hashtags, parse_mentions
from tweets.payloads import render_tweets
from tweets.serializers import TweetSerializer

# Chirp's verbs as Mastodon's notification types. Verbs without a Mastodon type (comments
# and their likes, messages, an accepted follow request) are left out of the list.
NOTIFICATION_TYPES = {
    Verb.FOLLOWED: "follow",
    Verb.LIKED_TWEET: "favourite",
    Verb.RETWEETED: "reblog",
    Verb.MENTIONED: "mention",
    Verb.FOLLOW_REQUESTED: "follow_request",
}
VERBS = {kind: verb for verb, kind in NOTIFICATION_TYPES.items()}


class AccountRenderMixin:
    def render_accounts(self, users) -> list[dict]:
        """Accounts for users of a page, with `last_status_at`: one query."""
        by_id, _ = selectors.accounts_for(ids=[user.pk for user in users])
        return [entities.account(by_id[user.pk], self.links) for user in users if user.pk in by_id]

    def relationship_of(self, user_id: int) -> dict:
        return entities.relationship(relationships_for(self.request.user, [user_id])[0])

    def account_page(self, queryset, side: str):
        page = Page(self.request, max_limit=80)
        rows = page.rows(queryset)
        data = self.render_accounts([getattr(row, side) for row in rows])
        return page.respond(Response(data), page.row_keys)


def relationships_for(viewer: User, ids: list[int]) -> list[User]:
    """Users with the viewer's flags (friendships.selectors.annotate_viewer_flags) and
    `requested_by`, in the order of `ids`; unknown ids left out."""
    queryset = friendship_selectors.annotate_viewer_flags(
        User.objects.filter(pk__in=ids, is_active=True), viewer=viewer
    ).annotate(
        requested_by=Exists(
            FollowRequest.objects.filter(requester_id=OuterRef("pk"), target_id=viewer.pk)
        )
    )
    by_id = {user.pk: user for user in queryset}
    return [by_id[pk] for pk in ids if pk in by_id]


class StatusRenderMixin:
    def render_statuses(self, tweets) -> list[dict]:
        """Statuses for hydrated tweets (tweets.selectors.hydrate_tweets)."""
        items = TweetSerializer(tweets, many=True, context={"request": self.request}).data
        return self.statuses_from_items(items)

    def statuses_from_items(self, items: list[dict]) -> list[dict]:
        return self.statuses_and_accounts(items)[0]

    def statuses_and_accounts(self, items: list[dict], extra_ids=()) -> tuple[list[dict], dict]:
        """Statuses from Chirp's rendered tweets, and the accounts by id: the authors, the
        mentioned accounts and `extra_ids` in one query."""
        author_ids, names = set(extra_ids), set()
        for item in items:
            for shown in (item, item.get("retweet_of")):
                if shown:
                    author_ids.add(shown["user"]["id"])
                    names.update(shown["mentions"])
        by_id, by_name = selectors.accounts_for(ids=author_ids, usernames=names)
        reply_authors = selectors.authors_of(
            tweet_ids={
                shown["in_reply_to_id"]
                for item in items
                for shown in (item, item.get("retweet_of"))
                if shown and shown.get("in_reply_to_id")
            }
        )
        viewer_id = self.request.user.pk
        statuses = [
            entities.status(item, by_id, by_name, self.links, reply_authors, viewer_id)
            for item in items
        ]
        return statuses, by_id

    def render_edits(self, current: dict, versions: list[dict]) -> list[dict]:
        """StatusEdit entities for a status's texts (tweets.selectors.list_tweet_versions,
        given oldest first), with the status's account and photos (`current`, its Status):
        each text as HTML, its hashtags and the accounts it mentions as links (one query
        for those accounts, whatever the number of versions)."""
        names = {name for version in versions for name in parse_mentions(version["text"])}
        _, by_name = selectors.accounts_for(ids=(), usernames=names)
        return [
            entities.status_edit(
                current,
                text=version["text"],
                created_at=version["edited_at"],
                mentions={
                    name: self.links.account(by_name[name].username)
                    for name in parse_mentions(version["text"])
                    if name in by_name
                },
                hashtags=set(parse_hashtags(version["text"])),
                links=self.links,
            )
            for version in versions
        ]

    def status_page(self, queryset):
        page = Page(self.request)
        tweets = page.rows(queryset)
        viewer = self.request.user if self.request.user.is_authenticated else None
        tweet_selectors.hydrate_tweets(tweets, viewer=viewer)
        return page.respond(Response(self.render_statuses(tweets)), page.row_keys)


class NotificationRenderMixin(StatusRenderMixin):
    def render_notifications(self, notifications) -> list[dict]:
        """Notifications with their statuses (through the tweet cache) and actors: the
        actors' accounts in the statuses' one accounts query."""
        tweet_ids = [n.tweet_id for n in notifications if n.tweet_id]
        items = render_tweets(tweet_ids, viewer=self.request.user, request=self.request)
        statuses, accounts = self.statuses_and_accounts(
            items, extra_ids=[n.actor_id for n in notifications]
        )
        by_tweet = {int(status["id"]): status for status in statuses}
        return [
            entities.notification(
                n,
                NOTIFICATION_TYPES[n.verb],
                entities.account(accounts[n.actor_id], self.links),
                by_tweet.get(n.tweet_id),
            )
            for n in notifications
            if n.actor_id in accounts
        ]


class Renderer(AccountRenderMixin, NotificationRenderMixin):
    """The mixins' rendering outside a view: for the streaming socket, with a stand-in
    request (mastodon_api.consumers.SocketRequest) and its links."""

    def __init__(self, request, links: entities.Links) -> None:
        self.request = request
        self.links = links
