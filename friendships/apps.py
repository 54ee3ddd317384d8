from django.apps import AppConfig


class FriendshipsConfig(AppConfig):
    name = "friendships"
    verbose_name = "Follows"
