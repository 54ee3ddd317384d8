"""MASTODON_HOST: apps that insist on a bare domain as the instance get the layer at that
host's root (docs/mastodon.md). Requests to it are routed by config/mastodon_host_urls.py:
the layer's paths first, then Chirp's."""

from django.conf import settings

HOST_URLCONF = "config.mastodon_host_urls"


class MastodonHostMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.host = settings.MASTODON_HOST.lower()

    def __call__(self, request):
        if self.host and request.get_host().lower().split(":")[0] == self.host.split(":")[0]:
            request.urlconf = HOST_URLCONF
        return self.get_response(request)
