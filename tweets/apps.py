from django.apps import AppConfig


class TweetsConfig(AppConfig):
    name = "tweets"
    verbose_name = "Tweets, comments and likes"

    def ready(self) -> None:
        # A profile's pinned tweet is a Tweet: accounts, below this app, renders it with
        # ours (docs/architecture.md, the hooks).
        from accounts.serializers import ProfileSerializer
        from tweets.serializers import render_pinned_tweet

        ProfileSerializer.pinned_tweet_renderer = staticmethod(render_pinned_tweet)
