from django.urls import path
from rest_framework.routers import SimpleRouter

from tweets.views import CommentViewSet, TrendViewSet, TweetViewSet, UserTweetsViewSet

router = SimpleRouter()
router.register("tweets", TweetViewSet, basename="tweet")
router.register("comments", CommentViewSet, basename="comment")
router.register("trends", TrendViewSet, basename="trend")

urlpatterns = [
    path(
        "users/<str:username>/tweets/",
        UserTweetsViewSet.as_view({"get": "list"}),
        name="user-tweets",
    ),
    *router.urls,
]
