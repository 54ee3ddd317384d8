"""`manage.py facebook_fake_server`: the tests' fake Graph API, served for local demos.

The server lives with the tests (tests/facebook_connect/fake_graph.py), so it is only
available in a source checkout (not in the production image, where tests/ is left out).
"""

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Serve the fake Facebook Graph API (demo users alice, bob, ...) for `make run`."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)

    def handle(self, *args, **options) -> None:
        try:
            from tests.facebook_connect.fake_graph import FakeGraphServer, describe
        except ImportError as exc:
            raise CommandError("The fake Graph server needs a source checkout (tests/).") from exc
        server = FakeGraphServer(options["host"], options["port"], page_size=25)
        self.stdout.write(describe(server))
        try:
            server.httpd.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.httpd.server_close()
