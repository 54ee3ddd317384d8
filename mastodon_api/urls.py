"""The layer's paths, as Mastodon serves them (no trailing slash; one is accepted too, as
some clients add it). config/urls.py mounts them under MASTODON_PREFIX, and
config/mastodon_host_urls.py at the root of MASTODON_HOST."""

from django.urls import re_path

from core.routers import Router
from mastodon_api import oauth, views


class MastodonRouter(Router):
    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"


router = MastodonRouter()
router.register("api/v1/apps", views.AppViewSet, basename="mastodon-app")
router.register("api/v1/instance", views.InstanceViewSet, basename="mastodon-instance")
router.register("api/v2/instance", views.InstanceV2ViewSet, basename="mastodon-instance-v2")
router.register("api/v1/accounts", views.AccountViewSet, basename="mastodon-account")
router.register(
    "api/v1/follow_requests", views.FollowRequestViewSet, basename="mastodon-follow-request"
)
router.register("api/v1/blocks", views.BlockListViewSet, basename="mastodon-block")
router.register("api/v1/mutes", views.MuteListViewSet, basename="mastodon-mute")
router.register("api/v1/statuses", views.StatusViewSet, basename="mastodon-status")
router.register("api/v1/bookmarks", views.BookmarkViewSet, basename="mastodon-bookmark")
router.register("api/v1/media", views.MediaViewSet, basename="mastodon-media")
router.register("api/v2/media", views.MediaViewSet, basename="mastodon-media-v2")
router.register("api/v1/timelines", views.TimelineViewSet, basename="mastodon-timeline")
router.register("api/v1/notifications", views.NotificationViewSet, basename="mastodon-notification")
router.register("api/v2/search", views.SearchViewSet, basename="mastodon-search")
router.register("api/v1/trends", views.TrendViewSet, basename="mastodon-trend")
router.register("api/v1/conversations", views.ConversationViewSet, basename="mastodon-conversation")

urlpatterns = [
    re_path(r"^oauth/authorize/?$", oauth.AuthorizeView.as_view(), name="mastodon-authorize"),
    re_path(r"^oauth/token/?$", oauth.MastodonTokenView.as_view(), name="mastodon-token"),
    re_path(r"^oauth/revoke/?$", oauth.MastodonRevokeView.as_view(), name="mastodon-revoke"),
    re_path(
        r"^\.well-known/oauth-authorization-server/?$",
        views.authorization_server,
        name="mastodon-oauth-metadata",
    ),
    *router.urls,
]
