from django.apps import AppConfig


class FakeGraphConfig(AppConfig):
    name = "fakegraph"
    verbose_name = "Fake Facebook Graph API (development)"
