from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from friendships.views import (
    BlockListViewSet,
    FollowListViewSet,
    FollowRequestViewSet,
    FollowViewSet,
    MuteListViewSet,
    ProfileViewSet,
    RelationViewSet,
    SuggestionViewSet,
)

router = SimpleRouter()
router.register("users", RelationViewSet, basename="user-relation")
router.register("blocks", BlockListViewSet, basename="block")
router.register("mutes", MuteListViewSet, basename="mute")
router.register("follow-requests", FollowRequestViewSet, basename="follow-request")

# Listed before accounts' routes: "suggestions" must not be read as a username.
urlpatterns = [
    path(
        "users/suggestions/",
        SuggestionViewSet.as_view({"get": "suggestions"}),
        name="user-suggestions",
    ),
    re_path(
        r"^users/(?P<username>[A-Za-z0-9_]{1,30})/$",
        ProfileViewSet.as_view({"get": "retrieve"}),
        name="user-detail",
    ),
    path(
        "users/<str:username>/follow/",
        FollowViewSet.as_view({"post": "follow", "delete": "unfollow"}),
        name="user-follow",
    ),
    path(
        "users/<str:username>/followers/",
        FollowListViewSet.as_view({"get": "followers"}),
        name="user-followers",
    ),
    path(
        "users/<str:username>/following/",
        FollowListViewSet.as_view({"get": "following"}),
        name="user-following",
    ),
    *router.urls,
]
