"""The URLs of MASTODON_HOST (mastodon_api.middleware): the Mastodon layer at the root, its
paths first (/api/v1/accounts/... is Mastodon's there), then all of Chirp's."""

from config.urls import urlpatterns as chirp_urlpatterns
from mastodon_api.urls import urlpatterns as mastodon_urlpatterns

urlpatterns = [*mastodon_urlpatterns, *chirp_urlpatterns]

handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
