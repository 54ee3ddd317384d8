from accounts.views import AuthViewSet, MeViewSet, UserViewSet
from core.routers import Router

router = Router()
router.register("auth", AuthViewSet, basename="auth")
router.register("users", UserViewSet, basename="user")
router.register("me", MeViewSet, basename="me")
