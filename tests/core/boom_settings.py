"""The project's settings with boom_urls, for servers started by tests that need a 500."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "tests.core.boom_urls"
