from django.apps import AppConfig


class NewsfeedsConfig(AppConfig):
    name = "newsfeeds"
    verbose_name = "Newsfeeds"
