"""The project's URLs plus views that fail unexpectedly, for the 500 tests."""

from django.urls import path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny

from config.urls import handler400, handler403, handler404, handler500, urlpatterns

SECRET = "kaboom-internal-detail-4f2a"


def django_boom(request):
    raise RuntimeError(SECRET)


@api_view(["GET", "POST"])
@permission_classes([AllowAny])
def drf_boom(request):
    raise RuntimeError(SECRET)


urlpatterns = [
    path("api/v1/test-boom/django/", django_boom),
    path("api/v1/test-boom/drf/", drf_boom),
    *urlpatterns,
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
