# The fake Graph server, for the Facebook-only account's proof.
from tests.facebook_connect.conftest import fake_graph, fake_graph_server  # noqa: F401
