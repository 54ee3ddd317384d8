from core.routers import Router
from lifecycle.views import DataExportViewSet, MeViewSet

router = Router()
router.register("me", MeViewSet, basename="me")
router.register("me/exports", DataExportViewSet, basename="export")
