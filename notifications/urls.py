from core.routers import Router
from notifications.views import NotificationSettingsViewSet, NotificationViewSet

router = Router()
router.register("notifications", NotificationViewSet, basename="notification")
router.register(
    "me/notification-settings", NotificationSettingsViewSet, basename="notification-settings"
)
