from django.urls import path
from rest_framework.routers import SimpleRouter

from notifications.views import NotificationSettingsViewSet, NotificationViewSet

router = SimpleRouter()
router.register("notifications", NotificationViewSet, basename="notification")

settings_view = NotificationSettingsViewSet.as_view({"get": "retrieve", "patch": "partial_update"})

urlpatterns = [
    path("me/notification-settings/", settings_view, name="notification-settings"),
    *router.urls,
]
