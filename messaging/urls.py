from core.routers import Router
from messaging.views import ConversationViewSet

router = Router()
router.register("conversations", ConversationViewSet, basename="conversation")
