from core.routers import Router
from newsfeeds.views import NewsfeedViewSet

router = Router()
router.register("newsfeed", NewsfeedViewSet, basename="newsfeed")
