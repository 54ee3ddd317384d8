from rest_framework.routers import SimpleRouter

from messaging.views import ConversationViewSet

router = SimpleRouter()
router.register("conversations", ConversationViewSet, basename="conversation")

urlpatterns = router.urls
