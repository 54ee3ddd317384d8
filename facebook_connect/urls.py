from django.urls import path

from facebook_connect.views import (
    FacebookAuthViewSet,
    FacebookCallbackViewSet,
    FacebookConnectionViewSet,
    FacebookShareViewSet,
)

urlpatterns = [
    path("auth/facebook/", FacebookAuthViewSet.as_view({"post": "login"}), name="facebook-login"),
    path(
        "auth/facebook/authorize/",
        FacebookAuthViewSet.as_view({"get": "authorize"}),
        name="facebook-authorize",
    ),
    path(
        "auth/facebook/callback/",
        FacebookAuthViewSet.as_view({"get": "callback"}),
        name="facebook-callback",
    ),
    path(
        "me/facebook/",
        FacebookConnectionViewSet.as_view(
            {"get": "retrieve", "post": "connect", "delete": "disconnect"}
        ),
        name="me-facebook",
    ),
    path(
        "me/facebook/sync/",
        FacebookConnectionViewSet.as_view({"post": "sync"}),
        name="me-facebook-sync",
    ),
    path(
        "me/facebook/friends/",
        FacebookConnectionViewSet.as_view({"get": "friends"}),
        name="me-facebook-friends",
    ),
    path(
        "tweets/<int:tweet_id>/share/facebook/",
        FacebookShareViewSet.as_view({"post": "create"}),
        name="tweet-share-facebook",
    ),
    path(
        "facebook/shares/<int:pk>/",
        FacebookShareViewSet.as_view({"get": "retrieve"}),
        name="facebook-share-detail",
    ),
    path(
        "facebook/deauthorize/",
        FacebookCallbackViewSet.as_view({"post": "deauthorize"}),
        name="facebook-deauthorize",
    ),
    path(
        "facebook/data-deletion/",
        FacebookCallbackViewSet.as_view({"post": "data_deletion"}),
        name="facebook-data-deletion",
    ),
    path(
        "facebook/data-deletion/<str:confirmation_code>/",
        FacebookCallbackViewSet.as_view({"get": "data_deletion_status"}),
        name="facebook-data-deletion-status",
    ),
]
