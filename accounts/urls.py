from accounts.views import AuthViewSet, MeViewSet
from core.routers import Router

router = Router()
router.register("auth", AuthViewSet, basename="auth")
router.register("me", MeViewSet, basename="me")
