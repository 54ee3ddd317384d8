from django.urls import path
from rest_framework.routers import SimpleRouter

from accounts.views import AuthViewSet, MeViewSet, UserViewSet

router = SimpleRouter()
router.register("auth", AuthViewSet, basename="auth")
router.register("users", UserViewSet, basename="user")

me = MeViewSet.as_view({"get": "retrieve", "patch": "partial_update"})
me_avatar = MeViewSet.as_view({"delete": "delete_avatar"})

urlpatterns = [
    path("me/", me, name="me"),
    path("me/avatar/", me_avatar, name="me-avatar"),
    *router.urls,
]
