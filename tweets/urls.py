from core.routers import Router
from tweets.views import CommentViewSet, TrendViewSet, TweetViewSet, UserTweetsViewSet

router = Router()
router.register("tweets", TweetViewSet, basename="tweet")
router.register("comments", CommentViewSet, basename="comment")
router.register("trends", TrendViewSet, basename="trend")
router.register("users", UserTweetsViewSet, basename="user-tweets")
