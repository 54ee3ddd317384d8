from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import TemplateView
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts import urls as accounts_urls
from accounts.login_pages import answer_throttled_with_429, browsable_api_login
from config.celery import app as celery_app
from core import views as core_views
from core.routers import Router
from demo import views as demo_views
from facebook_connect import urls as facebook_urls
from friendships import urls as friendships_urls
from lifecycle import urls as lifecycle_urls
from mastodon_api import urls as mastodon_urls
from messaging import urls as messaging_urls
from moderation import urls as moderation_urls
from newsfeeds import urls as newsfeeds_urls
from notifications import urls as notifications_urls
from tweets import urls as tweets_urls

# /api/v1/: one router for every app's viewsets (each app's urls.py registers its own), so
# literal paths match before lookups whichever app registered them (core/routers.py).
api_v1 = Router()
for app_urls in (
    accounts_urls,
    tweets_urls,
    friendships_urls,
    newsfeeds_urls,
    notifications_urls,
    messaging_urls,
    facebook_urls,
    lifecycle_urls,
    moderation_urls,
):
    api_v1.registry.extend(app_urls.router.registry)

# The pages email links open when FRONTEND_URL is unset (accounts/emails.py).
email_pages = [
    path(
        "verify-email/",
        TemplateView.as_view(template_name="accounts/verify_email.html"),
        name="verify-email-page",
    ),
    path(
        "reset-password/",
        TemplateView.as_view(template_name="accounts/reset_password.html"),
        name="reset-password-page",
    ),
]

urlpatterns = [
    path("", demo_views.landing, name="landing"),
    *email_pages,
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, {"celery_app": celery_app}, name="readyz"),
    # The two HTML login forms check passwords, so they share the API login's throttle
    # (docs/reliability.md trap 16); listed before the includes that would serve these paths too.
    path("admin/login/", answer_throttled_with_429(admin.site.login)),
    path("admin/", admin.site.urls),
    path("api-auth/login/", browsable_api_login),
    path("api-auth/", include("rest_framework.urls", namespace="rest_framework")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/v1/", include(api_v1.urls)),
    # The Mastodon client API's instance root (docs/mastodon.md); MASTODON_HOST's root too
    # (config/mastodon_host_urls.py).
    path(f"{settings.MASTODON_PREFIX.strip('/')}/", include(mastodon_urls.urlpatterns)),
]

if settings.SERVE_MEDIA:
    media_prefix = settings.MEDIA_URL.lstrip("/")
    urlpatterns += [
        re_path(rf"^{media_prefix}(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    ]

handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
