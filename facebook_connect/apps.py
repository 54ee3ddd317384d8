from django.apps import AppConfig


class FacebookConnectConfig(AppConfig):
    name = "facebook_connect"
    verbose_name = "Facebook"

    def ready(self) -> None:
        # accounts and friendships sit below this app (docs/architecture.md, layers) and do
        # not import it: it plugs its answers into theirs. Me's `facebook_connected`, and
        # Facebook friends on Chirp among the suggestions of whom to follow.
        from accounts.serializers import MeSerializer
        from facebook_connect import selectors
        from friendships.selectors import SUGGESTION_SOURCES

        MeSerializer.facebook_connected_check = staticmethod(
            lambda user: selectors.is_facebook_connected(user=user)
        )
        SUGGESTION_SOURCES["facebook_friends"] = lambda user_id: (
            selectors.list_facebook_friend_users(user_id=user_id)
        )
