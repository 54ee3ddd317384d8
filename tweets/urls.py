from core.routers import Router
from tweets.views import (
    BookmarkViewSet,
    CommentViewSet,
    TrendViewSet,
    TweetViewSet,
    UserTweetsViewSet,
)

router = Router()
router.register("tweets", TweetViewSet, basename="tweet")
router.register("comments", CommentViewSet, basename="comment")
router.register("trends", TrendViewSet, basename="trend")
router.register("bookmarks", BookmarkViewSet, basename="bookmark")
router.register("users", UserTweetsViewSet, basename="user-tweets")
