"""`manage.py facebook_fake_server`: the tests' fake Graph API, served for local demos.

Registered only where the fakegraph app is installed (a source checkout with DJANGO_DEBUG
on); the Docker image leaves the package out, so there the command does not exist.
"""

from django.core.management.base import BaseCommand

from fakegraph.server import serve


class Command(BaseCommand):
    help = "Serve the fake Facebook Graph API (demo users alice, bob, ...) for `make run`."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)

    def handle(self, *args, **options) -> None:
        serve(options["host"], options["port"], out=self.stdout)
