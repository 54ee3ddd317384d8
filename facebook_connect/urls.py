from core.routers import Router
from facebook_connect.views import (
    FacebookAuthViewSet,
    FacebookCallbackViewSet,
    FacebookConnectionViewSet,
    FacebookShareViewSet,
    TweetShareViewSet,
)

router = Router()
router.register("auth/facebook", FacebookAuthViewSet, basename="facebook-auth")
router.register("me/facebook", FacebookConnectionViewSet, basename="me-facebook")
router.register("tweets", TweetShareViewSet, basename="tweet-share")
router.register("facebook/shares", FacebookShareViewSet, basename="facebook-share")
router.register("facebook", FacebookCallbackViewSet, basename="facebook")
