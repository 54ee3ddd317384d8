"""Mastodon's client API, translated to Chirp's services and selectors (docs/mastodon.md).

Each view looks up what Mastodon names by id, calls the one Chirp service or selector that
does the thing, and renders Mastodon's entity (mastodon_api.entities). No rule of Chirp's
is restated here: who may see, follow, favourite or reblog what is decided by Chirp.
"""

from django.conf import settings
from django.http import JsonResponse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from oauth2_provider.models import AbstractAccessToken
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts import selectors as account_selectors
from accounts import services as account_services
from accounts.models import User
from accounts.serializers import MeUpdateInputSerializer
from core.exceptions import FieldValidationError, NotFound
from friendships import selectors as friendship_selectors
from friendships import services as friendship_services
from mastodon_api import entities, oauth, selectors, services
from mastodon_api.api import MastodonViewSet, instance_root
from mastodon_api.exceptions import Unprocessable
from mastodon_api.pagination import Page
from mastodon_api.rendering import (
    NOTIFICATION_TYPES,
    VERBS,
    AccountRenderMixin,
    NotificationRenderMixin,
    StatusRenderMixin,
    relationships_for,
)
from messaging import selectors as messaging_selectors
from newsfeeds.selectors import list_feed_ids
from notifications import selectors as notification_selectors
from notifications import services as notification_services
from safety import selectors as safety_selectors
from tweets import selectors as tweet_selectors
from tweets import services as tweet_services
from tweets.models import MAX_PHOTOS, TWEET_MAX_LENGTH
from tweets.payloads import render_tweets

VERSION = "4.3.0 (compatible; Chirp 0.1.0)"
IMAGE_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp"]


def _ids(values) -> list[int]:
    ids = []
    for value in values:
        if not str(value).isdecimal() or len(str(value)) > 19:
            raise FieldValidationError({"id": ["Must be an id."]})
        ids.append(int(value))
    return ids


def _flag(value, default: bool = False) -> bool:
    if value in (None, ""):
        return default
    return str(value).lower() in ("1", "true", "on", "yes")


def _list_param(data, name: str) -> list:
    """Mastodon's array parameters: `name[]=a&name[]=b`, `name=a` or a JSON list."""
    if hasattr(data, "getlist"):
        return data.getlist(f"{name}[]") or data.getlist(name)
    value = data.get(name) or data.get(f"{name}[]") or []
    return value if isinstance(value, list) else [value]


# --- apps and OAuth metadata -------------------------------------------------------------


class AppViewSet(MastodonViewSet):
    """POST /api/v1/apps (register a client), GET /api/v1/apps/verify_credentials."""

    scope_area = "accounts"
    throttle_scope = "token"
    user_required = False

    @extend_schema(request=None, responses={200: dict})
    def create(self, request):
        data = request.data
        name = str(data.get("client_name") or "").strip()
        if not name:
            raise FieldValidationError({"client_name": ["This field is required."]})
        raw_uris = _list_param(data, "redirect_uris")
        redirect_uris = [uri for value in raw_uris for uri in str(value).split()]
        if not redirect_uris:
            raise FieldValidationError({"redirect_uris": ["This field is required."]})
        scopes = str(data.get("scopes") or "read").split()
        app, registration, secret = services.register_app(
            name=name[:255],
            redirect_uris=redirect_uris,
            scopes=scopes,
            website=str(data.get("website") or "")[:500],
        )
        return Response(entities.application(app, registration, with_secret=secret))

    @extend_schema(responses={200: dict})
    @action(detail=False, methods=["get"])
    def verify_credentials(self, request):
        token = request.auth
        if not isinstance(token, AbstractAccessToken) or token.application is None:
            raise NotFound("The access token is not an app's.")
        app = token.application
        registration = getattr(app, "mastodon", None)
        if registration is None:
            raise NotFound("The access token is not a Mastodon app's.")
        return Response(entities.application(app, registration))


def authorization_server(request):
    """GET /.well-known/oauth-authorization-server (RFC 8414), as Mastodon 4.3 serves it."""
    return JsonResponse(oauth.oauth_server_metadata(request, instance_root(request)))


# --- the instance ------------------------------------------------------------------------


def _configuration(links) -> dict:
    return {
        "accounts": {"max_featured_tags": 0, "max_pinned_statuses": 1},
        "statuses": {
            "max_characters": TWEET_MAX_LENGTH,
            "max_media_attachments": MAX_PHOTOS,
            "characters_reserved_per_url": 23,
        },
        "media_attachments": {
            "supported_mime_types": IMAGE_TYPES,
            "image_size_limit": settings.TWEET_PHOTO_MAX_BYTES,
            "image_matrix_limit": settings.TWEET_PHOTO_MAX_PIXELS,
            "video_size_limit": 0,
            "video_frame_rate_limit": 0,
            "video_matrix_limit": 0,
        },
        "polls": {
            "max_options": 0,
            "max_characters_per_option": 0,
            "min_expiration": 0,
            "max_expiration": 0,
        },
    }


class InstanceViewSet(MastodonViewSet):
    """GET /api/v1/instance (Mastodon's older Instance entity)."""

    scope_area = "accounts"
    user_required = False

    def list(self, request):
        links = self.links
        counts = selectors.instance_counts()
        return Response(
            {
                "uri": request.get_host(),
                "title": settings.MASTODON_INSTANCE_TITLE,
                "short_description": "A Chirp server.",
                "description": "A Chirp server, serving Mastodon clients.",
                "email": "",
                "version": VERSION,
                "urls": {"streaming_api": links.instance().rstrip("/").replace("http", "ws", 1)},
                "stats": {
                    "user_count": counts["users"],
                    "status_count": counts["statuses"],
                    "domain_count": 0,
                },
                "thumbnail": links.missing_image(),
                "languages": ["en"],
                "registrations": False,
                "approval_required": False,
                "invites_enabled": False,
                "configuration": _configuration(links),
                "contact_account": None,
                "rules": [],
            }
        )


class InstanceV2ViewSet(MastodonViewSet):
    """GET /api/v2/instance."""

    scope_area = "accounts"
    user_required = False

    def list(self, request):
        links = self.links
        configuration = _configuration(links)
        return Response(
            {
                "domain": request.get_host(),
                "title": settings.MASTODON_INSTANCE_TITLE,
                "version": VERSION,
                "source_url": links.absolute("/api/docs/"),
                "description": "A Chirp server, serving Mastodon clients.",
                "usage": {"users": {"active_month": selectors.instance_counts()["users"]}},
                "thumbnail": {"url": links.missing_image()},
                "icon": [],
                "languages": ["en"],
                "configuration": {
                    "urls": {"streaming": links.instance().rstrip("/").replace("http", "ws", 1)},
                    "vapid": {"public_key": ""},
                    **configuration,
                    "accounts": {**configuration["accounts"], "max_display_name_length": 50},
                    "translation": {"enabled": False},
                },
                "registrations": {"enabled": False, "approval_required": False, "message": None},
                "api_versions": {"mastodon": 2},
                "contact": {"email": "", "account": None},
                "rules": [],
            }
        )


# --- accounts ----------------------------------------------------------------------------


def _get_user(user_id) -> User:
    user = selectors.get_account(user_id=int(user_id))
    if user is None:
        raise NotFound("Record not found")
    return user


class AccountViewSet(AccountRenderMixin, StatusRenderMixin, MastodonViewSet):
    """/api/v1/accounts: the caller's own account, others by id, their statuses, follows,
    and the relation toggles (each answers the Relationship)."""

    lookup_value_regex = r"\d+"
    scope_area = "accounts"
    scope_areas = {
        "follow": "follows",
        "unfollow": "follows",
        "block": "blocks",
        "unblock": "blocks",
        "mute": "mutes",
        "unmute": "mutes",
        "relationships": "follows",
        "followers": "accounts",
        "following": "accounts",
        "statuses": "statuses",
    }
    throttle_scope = "toggle"
    PUBLIC = {"retrieve", "lookup", "statuses", "followers", "following"}

    @property
    def user_required(self) -> bool:
        return self.action not in self.PUBLIC

    def retrieve(self, request, pk):
        return Response(entities.account(_get_user(pk), self.links))

    @action(detail=False, methods=["get"])
    def verify_credentials(self, request):
        return Response(self._credential_account(request.user))

    def _credential_account(self, user) -> dict:
        user = selectors.get_account(user_id=user.pk)
        pending = friendship_selectors.list_follow_requests(target=user).count()
        return entities.credential_account(user, self.links, follow_requests_count=pending)

    @action(detail=False, methods=["patch"])
    def update_credentials(self, request):
        data = request.data
        renamed = {"display_name": "display_name", "note": "bio", "avatar": "avatar"}
        changes = {ours: data[theirs] for theirs, ours in renamed.items() if theirs in data}
        if "locked" in data:
            changes["is_protected"] = _flag(data["locked"])
        serializer = MeUpdateInputSerializer(data=changes)
        serializer.is_valid(raise_exception=True)
        user = account_services.update_profile(
            user=request.user,
            data=serializer.validated_data,
            site_url=request.build_absolute_uri("/").rstrip("/"),
        )
        return Response(self._credential_account(user))

    @action(detail=False, methods=["get"])
    def lookup(self, request):
        acct = str(request.query_params.get("acct", "")).lstrip("@")
        username, _, domain = acct.partition("@")
        if domain and domain != request.get_host():
            raise NotFound("Record not found")  # no federation: other servers' accounts
        user = account_selectors.get_active_user(username=username)
        return Response(entities.account(_get_user(user.pk), self.links))

    @action(detail=False, methods=["get"])
    def search(self, request):
        page = Page(request, max_limit=80)
        term = str(request.query_params.get("q", "")).lstrip("@").partition("@")[0]
        if not term.strip():
            return Response([])
        viewer = request.user if request.user.is_authenticated else None
        users = friendship_selectors.search_users(search=term, viewer=viewer)[: page.limit]
        return Response(self.render_accounts(list(users)))

    @action(detail=True, methods=["get"])
    def statuses(self, request, pk):
        user = _get_user(pk)
        viewer = request.user if request.user.is_authenticated else None
        if _flag(request.query_params.get("pinned")):
            return self._pinned(user, viewer)
        queryset = tweet_selectors.list_user_tweets(username=user.username, viewer=viewer)
        if _flag(request.query_params.get("exclude_reblogs")):
            queryset = queryset.filter(retweet_of__isnull=True)
        if _flag(request.query_params.get("only_media")):
            queryset = queryset.filter(photos__isnull=False).distinct()
        return self.status_page(queryset)

    def _pinned(self, user, viewer):
        """`pinned=true`: Chirp's one pin (tweets.selectors.get_pinned_tweet), when the
        viewer may see it and the page's ids admit it; no Link header (nothing follows)."""
        tweet = tweet_selectors.get_pinned_tweet(owner=user, viewer=viewer)
        page = Page(self.request)
        if tweet is None or not page.admits(tweet.pk):
            return Response([])
        return Response(self.render_statuses([tweet]))

    @action(detail=True, methods=["get"])
    def followers(self, request, pk):
        user = _get_user(pk)
        viewer = request.user if request.user.is_authenticated else None
        queryset = friendship_selectors.list_followers(username=user.username, viewer=viewer)
        return self.account_page(queryset, "follower")

    @action(detail=True, methods=["get"])
    def following(self, request, pk):
        user = _get_user(pk)
        viewer = request.user if request.user.is_authenticated else None
        queryset = friendship_selectors.list_following(username=user.username, viewer=viewer)
        return self.account_page(queryset, "followee")

    @action(detail=False, methods=["get"])
    def relationships(self, request):
        ids = _ids(_list_param(request.query_params, "id"))
        return Response([entities.relationship(u) for u in relationships_for(request.user, ids)])

    def _toggle(self, service, pk, **kwargs):
        user = _get_user(pk)
        service(username=user.username, **kwargs)
        return Response(self.relationship_of(user.pk))

    @action(detail=True, methods=["post"])
    def follow(self, request, pk):
        return self._toggle(friendship_services.follow_user, pk, follower=request.user)

    @action(detail=True, methods=["post"])
    def unfollow(self, request, pk):
        return self._toggle(friendship_services.unfollow_user, pk, follower=request.user)

    @action(detail=True, methods=["post"])
    def block(self, request, pk):
        return self._toggle(friendship_services.block_user, pk, blocker=request.user)

    @action(detail=True, methods=["post"])
    def unblock(self, request, pk):
        return self._toggle(friendship_services.unblock_user, pk, blocker=request.user)

    @action(detail=True, methods=["post"])
    def mute(self, request, pk):
        raw = request.data.get("duration")
        duration = _ids([raw])[0] if raw not in (None, "", "0", 0) else None
        return self._toggle(
            friendship_services.mute_user, pk, muter=request.user, duration=duration
        )

    @action(detail=True, methods=["post"])
    def unmute(self, request, pk):
        return self._toggle(friendship_services.unmute_user, pk, muter=request.user)


class FollowRequestViewSet(AccountRenderMixin, MastodonViewSet):
    """/api/v1/follow_requests: who asked to follow the caller; authorize and reject."""

    lookup_value_regex = r"\d+"
    scope_area = "follows"
    throttle_scope = "toggle"

    def list(self, request):
        queryset = friendship_selectors.list_follow_requests(target=request.user)
        return self.account_page(queryset, "requester")

    @action(detail=True, methods=["post"])
    def authorize(self, request, pk):
        user = _get_user(pk)
        friendship_services.accept_follow_request(target=request.user, username=user.username)
        return Response(self.relationship_of(user.pk))

    @action(detail=True, methods=["post"])
    def reject(self, request, pk):
        user = _get_user(pk)
        friendship_services.reject_follow_request(target=request.user, username=user.username)
        return Response(self.relationship_of(user.pk))


class BlockListViewSet(AccountRenderMixin, MastodonViewSet):
    """GET /api/v1/blocks."""

    scope_area = "blocks"

    def list(self, request):
        return self.account_page(safety_selectors.list_blocks(blocker=request.user), "blocked")


class MuteListViewSet(AccountRenderMixin, MastodonViewSet):
    """GET /api/v1/mutes."""

    scope_area = "mutes"

    def list(self, request):
        return self.account_page(safety_selectors.list_mutes(muter=request.user), "muted")


# --- statuses and media ------------------------------------------------------------------


class StatusViewSet(AccountRenderMixin, StatusRenderMixin, MastodonViewSet):
    """/api/v1/statuses: post (with uploaded photos, Idempotency-Key), read, delete,
    favourite, reblog, and who did."""

    lookup_value_regex = r"\d+"
    scope_area = "statuses"
    scope_areas = {
        "favourite": "favourites",
        "unfavourite": "favourites",
        "bookmark": "bookmarks",
        "unbookmark": "bookmarks",
        "pin": "accounts",
        "unpin": "accounts",
    }
    throttle_scope = "post"
    PUBLIC = {"retrieve", "context", "favourited_by", "reblogged_by", "history"}
    # PUT edits a status (Mastodon's verb for it); Chirp's PATCH is not Mastodon's.
    http_method_names = ["get", "post", "put", "delete", "head", "options"]

    @property
    def user_required(self) -> bool:
        return self.action not in self.PUBLIC

    def render_status(self, tweet_id: int):
        viewer = self.request.user if self.request.user.is_authenticated else None
        tweet = tweet_selectors.get_tweet_for_display(tweet_id=tweet_id, viewer=viewer)
        return Response(self.render_statuses([tweet])[0])

    def create(self, request):
        data = request.data
        for unsupported in ("poll", "scheduled_at"):
            if data.get(unsupported) not in (None, ""):
                raise Unprocessable(f"{unsupported} is not supported by this server.")
        if data.get("visibility") == "direct":
            raise Unprocessable("Direct statuses are not supported: use a conversation.")
        media_ids = _ids(_list_param(data, "media_ids"))
        reply_to, quote = data.get("in_reply_to_id"), data.get("quote_id")
        tweet = services.post_status(
            author=request.user,
            text=str(data.get("status") or ""),
            media_ids=media_ids,
            in_reply_to_id=_ids([reply_to])[0] if reply_to not in (None, "") else None,
            quote_of_id=_ids([quote])[0] if quote not in (None, "") else None,
        )
        return self.render_status(tweet.pk)

    def retrieve(self, request, pk):
        return self.render_status(int(pk))

    def update(self, request, pk):
        """PUT: edit the text (tweets.services.edit_tweet: the author, within Chirp's
        edit rules). Media and polls cannot change."""
        text = str(request.data.get("status") or "")
        tweet = tweet_services.edit_tweet(editor=request.user, tweet_id=int(pk), text=text)
        return self.render_status(tweet.pk)

    @action(detail=True, methods=["get"])
    def source(self, request, pk):
        """The text as written, for an edit form (Mastodon's StatusSource)."""
        tweet = tweet_selectors.get_tweet_for_display(tweet_id=int(pk), viewer=request.user)
        return Response({"id": str(tweet.pk), "text": tweet.text, "spoiler_text": ""})

    def destroy(self, request, pk):
        """Mastodon answers the deleted status with its `text` (delete and redraft)."""
        viewer = request.user
        tweet = tweet_selectors.get_tweet_for_display(tweet_id=int(pk), viewer=viewer)
        entity = self.render_statuses([tweet])[0]
        tweet_services.delete_tweet(actor=viewer, tweet_id=tweet.pk)
        return Response({**entity, "text": tweet.text})

    @action(detail=True, methods=["get"])
    def context(self, request, pk):
        viewer = request.user if request.user.is_authenticated else None
        ancestors, descendants = tweet_selectors.get_context(tweet_id=int(pk), viewer=viewer)
        statuses = self.render_statuses([*ancestors, *descendants])
        return Response(
            {"ancestors": statuses[: len(ancestors)], "descendants": statuses[len(ancestors) :]}
        )

    @action(detail=True, methods=["post"], throttle_scope="toggle")
    def favourite(self, request, pk):
        return self.render_status(tweet_services.like_tweet(user=request.user, tweet_id=pk).pk)

    @action(detail=True, methods=["post"], throttle_scope="toggle")
    def unfavourite(self, request, pk):
        return self.render_status(tweet_services.unlike_tweet(user=request.user, tweet_id=pk).pk)

    @action(detail=True, methods=["post"], throttle_scope="toggle")
    def reblog(self, request, pk):
        """Mastodon answers the reblog: a status of the caller's whose `reblog` is the
        original."""
        original = tweet_services.retweet(user=request.user, tweet_id=pk)
        return self.render_status(
            selectors.reblog_id(user=request.user, original_id=original.pk) or original.pk
        )

    @action(detail=True, methods=["post"], throttle_scope="toggle")
    def unreblog(self, request, pk):
        return self.render_status(tweet_services.undo_retweet(user=request.user, tweet_id=pk).pk)

    @action(detail=True, methods=["post"], throttle_scope="toggle")
    def bookmark(self, request, pk):
        """tweets.services.bookmark_tweet (a reblog's original); answers the original."""
        return self.render_status(tweet_services.bookmark_tweet(user=request.user, tweet_id=pk).pk)

    @action(detail=True, methods=["post"], throttle_scope="toggle")
    def unbookmark(self, request, pk):
        tweet = tweet_services.unbookmark_tweet(user=request.user, tweet_id=pk)
        return self.render_status(tweet.pk)

    @action(detail=True, methods=["post"], throttle_scope="toggle")
    def pin(self, request, pk):
        """tweets.services.pin_tweet: one of the caller's own statuses, not a reblog
        (403 otherwise); Chirp keeps one pin, so pinning another replaces it."""
        return self.render_status(tweet_services.pin_tweet(user=request.user, tweet_id=pk).pk)

    @action(detail=True, methods=["post"], throttle_scope="toggle")
    def unpin(self, request, pk):
        return self.render_status(tweet_services.unpin_tweet(user=request.user, tweet_id=pk).pk)

    @action(detail=True, methods=["get"])
    def history(self, request, pk):
        """Mastodon's StatusEdit list, oldest first: each text the status had
        (tweets.selectors.list_tweet_versions), with the author and the photos (which an
        edit cannot change) of the status as it is now."""
        viewer = request.user if request.user.is_authenticated else None
        tweet = tweet_selectors.get_tweet_for_display(tweet_id=int(pk), viewer=viewer)
        versions = tweet_selectors.list_tweet_versions(tweet_id=tweet.pk, viewer=viewer)
        current = self.render_statuses([tweet])[0]
        return Response(self.render_edits(current, list(reversed(versions))))

    @action(detail=True, methods=["get"])
    def favourited_by(self, request, pk):
        viewer = request.user if request.user.is_authenticated else None
        return self.account_page(tweet_selectors.list_likes(tweet_id=pk, viewer=viewer), "user")

    @action(detail=True, methods=["get"])
    def reblogged_by(self, request, pk):
        viewer = request.user if request.user.is_authenticated else None
        return self.account_page(selectors.list_reblogs(tweet_id=pk, viewer=viewer), "user")


class BookmarkViewSet(StatusRenderMixin, MastodonViewSet):
    """GET /api/v1/bookmarks: the caller's bookmarked statuses, most recently bookmarked
    first (tweets.selectors.list_bookmarks); pages by the bookmarks' ids, as Mastodon's."""

    scope_area = "bookmarks"

    def list(self, request):
        page = Page(request)
        bookmarks = page.rows(tweet_selectors.list_bookmarks(user=request.user))
        tweets = tweet_selectors.bookmarked_tweets(bookmarks, viewer=request.user)
        return page.respond(Response(self.render_statuses(tweets)), page.row_keys)


class MediaViewSet(MastodonViewSet):
    """POST /api/v2/media (and /api/v1/media): a photo uploaded ahead of its status; GET and
    PUT /api/v1/media/:id (its description)."""

    lookup_value_regex = r"\d+"
    scope_area = "media"
    throttle_scope = "upload"

    def render(self, upload):
        return entities.media_attachment(
            media_id=upload.pk,
            url=upload.image.url,
            width=upload.width,
            height=upload.height,
            description=upload.description,
            links=self.links,
        )

    def create(self, request):
        file = request.FILES.get("file")
        if file is None:
            raise FieldValidationError({"file": ["This field is required."]})
        description = str(request.data.get("description") or "")[:1500]
        upload = services.upload_media(user=request.user, file=file, description=description)
        return Response(self.render(upload))

    def retrieve(self, request, pk):
        return Response(self.render(services.take_media(user=request.user, media_ids=[int(pk)])[0]))

    def update(self, request, pk):
        description = str(request.data.get("description") or "")[:1500]
        upload = services.update_media(user=request.user, media_id=int(pk), description=description)
        return Response(self.render(upload))


# --- timelines ---------------------------------------------------------------------------


class TimelineViewSet(StatusRenderMixin, MastodonViewSet):
    """/api/v1/timelines: home (the newsfeed), public, tag/:hashtag."""

    scope_area = "statuses"
    PUBLIC = {"public", "tag"}

    @property
    def user_required(self) -> bool:
        return self.action not in self.PUBLIC

    @action(detail=False, methods=["get"])
    def home(self, request):
        """The newsfeed (newsfeeds.selectors.list_feed_ids), rendered through the tweet
        cache (tweets.payloads.render_tweets) like GET /api/v1/newsfeed/, plus one query for
        the page's accounts."""
        page = Page(request)
        ids = page.keys(
            lambda cursor, limit: list_feed_ids(user=request.user, cursor=cursor, limit=limit)
        )
        items = render_tweets(ids, viewer=request.user, request=request)
        return page.respond(Response(self.statuses_from_items(items)), ids)

    @action(detail=False, methods=["get"])
    def public(self, request):
        viewer = request.user if request.user.is_authenticated else None
        return self.status_page(tweet_selectors.list_tweets(viewer=viewer))

    @action(detail=False, methods=["get"], url_path=r"tag/(?P<hashtag>[^/]+)")
    def tag(self, request, hashtag: str):
        viewer = request.user if request.user.is_authenticated else None
        return self.status_page(tweet_selectors.list_tweets(viewer=viewer, hashtag=hashtag))


# --- notifications, search, trends, conversations ----------------------------------------


class NotificationViewSet(NotificationRenderMixin, MastodonViewSet):
    """/api/v1/notifications: the list (types mapped), one, dismiss, clear."""

    lookup_value_regex = r"\d+"
    scope_area = "notifications"

    def list(self, request):
        types = set(_list_param(request.query_params, "types")) or set(VERBS)
        types -= set(_list_param(request.query_params, "exclude_types"))
        verbs = [VERBS[kind] for kind in types if kind in VERBS]
        if not verbs:
            return Response([])
        queryset = notification_selectors.list_notifications(recipient=request.user, verbs=verbs)
        page = Page(request, max_limit=80)
        notifications = page.rows(queryset)
        return page.respond(Response(self.render_notifications(notifications)), page.row_keys)

    def _one(self, pk):
        notification = notification_selectors.access_notification(
            recipient=self.request.user, notification_id=int(pk)
        )
        if notification.verb not in NOTIFICATION_TYPES:
            raise NotFound("Record not found")
        return notification

    def retrieve(self, request, pk):
        return Response(self.render_notifications([self._one(pk)])[0])

    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk):
        notification_services.dismiss_notification(
            notification=notification_selectors.access_notification(
                recipient=request.user, notification_id=int(pk)
            )
        )
        return Response({})

    @action(detail=False, methods=["post"])
    def clear(self, request):
        notification_services.clear_notifications(recipient=request.user)
        return Response({})


class SearchViewSet(AccountRenderMixin, StatusRenderMixin, MastodonViewSet):
    """GET /api/v2/search: accounts (friendships.selectors.search_users), statuses
    (tweets.selectors.list_tweets with `q`) and hashtags."""

    scope_area = "search"
    user_required = False

    def list(self, request):
        query = str(request.query_params.get("q", "")).strip()
        kind = request.query_params.get("type")
        page = Page(request)
        result = {"accounts": [], "statuses": [], "hashtags": []}
        if not query:
            return Response(result)
        viewer = request.user if request.user.is_authenticated else None
        if kind in (None, "", "accounts"):
            term = query.lstrip("@").partition("@")[0]
            users = friendship_selectors.search_users(search=term, viewer=viewer) if term else []
            users = list(users[: page.limit])
            result["accounts"] = self.render_accounts(users)
        if kind in (None, "", "statuses"):
            tweets = list(tweet_selectors.list_tweets(viewer=viewer, q=query)[: page.limit])
            tweet_selectors.hydrate_tweets(tweets, viewer=viewer)
            result["statuses"] = self.render_statuses(tweets)
        if kind in (None, "", "hashtags"):
            names = selectors.search_hashtags(term=query, limit=page.limit)
            result["hashtags"] = [entities.tag(name, self.links, history=[]) for name in names]
        return Response(result)


class TrendViewSet(MastodonViewSet):
    """GET /api/v1/trends/tags (and /api/v1/trends): Chirp's trends, computed in the
    background (tweets.tasks.compute_trends)."""

    scope_area = "statuses"
    user_required = False

    def list(self, request):
        today = str(int(timezone.now().replace(hour=0, minute=0, second=0).timestamp()))
        trends = tweet_selectors.list_trends()[: Page(request).limit]
        return Response(
            [
                entities.tag(
                    trend.hashtag,
                    self.links,
                    history=[{"day": today, "uses": str(trend.tweets_count), "accounts": "0"}],
                )
                for trend in trends
            ]
        )

    @action(detail=False, methods=["get"])
    def tags(self, request):
        return self.list(request)


class ConversationViewSet(MastodonViewSet):
    """GET /api/v1/conversations: direct message conversations
    (messaging.selectors.list_conversations). Messages are not statuses, so
    `last_status` is null."""

    scope_area = "statuses"

    def list(self, request):
        limit = Page(request).limit
        conversations = messaging_selectors.list_conversations(user=request.user)[:limit]
        return Response(
            [
                {
                    "id": str(conversation.pk),
                    "unread": conversation.unread_count > 0,
                    "accounts": [
                        entities.account(member.user, self.links)
                        for member in conversation.members.all()
                        if member.user_id != request.user.pk
                    ],
                    "last_status": None,
                }
                for conversation in conversations
            ]
        )
