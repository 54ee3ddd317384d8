from django.urls import path

from friendships.views import FollowListViewSet, FollowViewSet, SuggestionViewSet

# Listed before accounts' routes: "suggestions" must not be read as a username.
urlpatterns = [
    path(
        "users/suggestions/",
        SuggestionViewSet.as_view({"get": "suggestions"}),
        name="user-suggestions",
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
]
