from django.apps import AppConfig


class FacebookConnectConfig(AppConfig):
    name = "facebook_connect"
    verbose_name = "Facebook"
