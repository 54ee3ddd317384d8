"""`manage.py seed_demo`: demo accounts for a fresh checkout, created once.

`make run` calls it on every start; it creates nothing when the demo user `alice` exists,
and with DEBUG on it prints the demo accounts each time, so they are on screen whenever
the server starts. The data itself is demo/seed.py.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import User
from demo.seed import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    DEMO_PASSWORD,
    DEMO_USERS,
    SECTIONS,
    demo_accounts,
)


class Command(BaseCommand):
    help = "Create demo users (alice, bob, carol), their tweets and follows, and an admin, once."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Seed even with DEBUG off, which looks like production: the demo accounts, "
            "a superuser among them, have passwords published in this repository.",
        )

    def handle(self, *args, allow_production: bool = False, **options) -> None:
        if User.objects.filter(username__iexact=DEMO_USERS[0].username).exists():
            self.stdout.write("Demo data present already; nothing to do.")
            if settings.DEBUG:
                self.stdout.write("Demo accounts (passwords as seeded; admin is the superuser):")
                for username, password in demo_accounts():
                    self.stdout.write(f"  {username} / {password}")
            return
        # The passwords above are public: on a reachable server, `admin` would be anyone's.
        if not settings.DEBUG:
            if not allow_production:
                raise CommandError(
                    "DEBUG is off, so this looks like production, and the demo accounts "
                    f"(superuser {ADMIN_USERNAME} among them) have published passwords. "
                    "Nothing was created. Rerun with --allow-production to seed anyway."
                )
            self.stderr.write(
                self.style.WARNING(
                    f"WARNING: seeding with DEBUG off. The superuser {ADMIN_USERNAME} / "
                    f"{ADMIN_PASSWORD} and the demo users / {DEMO_PASSWORD} can be used by "
                    "anyone who reads Chirp's repository: change or delete them."
                )
            )
        self.stdout.write("Creating demo data:")
        with transaction.atomic():
            for section in SECTIONS:
                section(self.stdout.write)
        self.stdout.write(self.style.SUCCESS("Demo data created."))
