import factory
from django.contrib.auth import get_user_model

DEFAULT_PASSWORD = "a-long-test-passphrase-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    display_name = factory.LazyAttribute(lambda u: u.username.title())
    email_verified = True

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or DEFAULT_PASSWORD)
        if create:
            self.save(update_fields=["password"])


class TweetFactory(factory.django.DjangoModelFactory):
    """A tweet posted through tweets.services.create_tweet, so hashtags, mentions and the
    author's tweets_count are what the API would have made. `photos` takes uploads."""

    class Meta:
        model = "tweets.Tweet"

    user = factory.SubFactory(UserFactory)
    text = factory.Sequence(lambda n: f"tweet number {n}")

    @classmethod
    def _create(cls, model_class, *args, user, text="", photos=(), **kwargs):
        from tweets import services

        return services.create_tweet(author=user, text=text, photos=photos)


class CommentFactory(factory.django.DjangoModelFactory):
    """A comment made through tweets.services.create_comment (comments_count moves)."""

    class Meta:
        model = "tweets.Comment"

    tweet = factory.SubFactory(TweetFactory)
    user = factory.SubFactory(UserFactory)
    text = factory.Sequence(lambda n: f"comment number {n}")

    @classmethod
    def _create(cls, model_class, *args, tweet, user, text, **kwargs):
        from tweets import services

        return services.create_comment(author=user, tweet_id=tweet.pk, text=text)


class FriendshipFactory(factory.django.DjangoModelFactory):
    """`follower` follows `followee` through friendships.services.follow_user, so both
    counters move and the followee's recent tweets are backfilled into the follower's feed."""

    class Meta:
        model = "friendships.Friendship"

    follower = factory.SubFactory(UserFactory)
    followee = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, *args, follower, followee, **kwargs):
        from friendships import services

        services.follow_user(follower=follower, username=followee.username)
        return model_class.objects.get(follower=follower, followee=followee)


class RetweetFactory(factory.django.DjangoModelFactory):
    """A retweet made through tweets.services.retweet (counters move, the retweet enters
    the retweeter's feed and is fanned out on commit). Returns the retweet row."""

    class Meta:
        model = "tweets.Tweet"

    user = factory.SubFactory(UserFactory)
    retweet_of = factory.SubFactory(TweetFactory)

    @classmethod
    def _create(cls, model_class, *args, user, retweet_of, **kwargs):
        from tweets import services

        services.retweet(user=user, tweet_id=retweet_of.pk)
        return model_class.objects.get(user=user, retweet_of=retweet_of)
