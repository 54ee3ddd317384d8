import pytest

from fakegraph.server import APP_ID, APP_SECRET, FakeGraphServer


@pytest.fixture(scope="session")
def fake_graph_server():
    server = FakeGraphServer().start()
    yield server
    server.stop()


@pytest.fixture
def fake_graph(fake_graph_server, settings):
    """The fake Graph server, reset, with Chirp's settings pointing at it. Timeouts and
    backoffs are short so failure paths stay fast; the avatar fence lets the fake server's
    loopback http through (tests of the fence itself switch that back off)."""
    fake_graph_server.reset()
    settings.FACEBOOK_APP_ID = APP_ID
    settings.FACEBOOK_APP_SECRET = APP_SECRET
    settings.FACEBOOK_GRAPH_URL = fake_graph_server.url
    settings.FACEBOOK_DIALOG_URL = fake_graph_server.url
    settings.FACEBOOK_TIMEOUT = 1.0
    settings.FACEBOOK_RETRIES = 2
    settings.FACEBOOK_RETRY_BACKOFF = 0
    settings.FACEBOOK_SHARE_RETRY_BACKOFF = 0
    settings.FACEBOOK_AVATAR_ALLOW_INSECURE_HOSTS = ["127.0.0.1"]
    yield fake_graph_server
