from core.routers import Router
from moderation.views import ReportViewSet

router = Router()
router.register("reports", ReportViewSet, basename="report")
