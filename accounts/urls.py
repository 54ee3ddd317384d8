from accounts.views import AuthViewSet
from core.routers import Router

router = Router()
router.register("auth", AuthViewSet, basename="auth")
# /me/ (MeViewSet) is registered by lifecycle, whose subclass adds DELETE /me/.
