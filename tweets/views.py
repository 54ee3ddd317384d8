from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from accounts.models import USERNAME_PATTERN
from accounts.serializers import ProfileSerializer, UserSummarySerializer
from core.api import InputSerializersMixin, validated, viewer_of
from core.parsers import JSONParser
from friendships.selectors import get_profile
from tweets import selectors, services
from tweets.payloads import render_tweets
from tweets.serializers import (
    CommentCreateInputSerializer,
    CommentSerializer,
    TrendSerializer,
    TweetContextSerializer,
    TweetCreateInputSerializer,
    TweetDetailSerializer,
    TweetSerializer,
    TweetUpdateInputSerializer,
    TweetVersionSerializer,
)


class TweetListMixin:
    """A page of a tweet list: the selector's queryset decides which tweets and in what
    order, and only their ids (and the ordering's columns) are read; the tweets are
    rendered as the newsfeed renders them (tweets.payloads.render_tweets: the rendered-tweet
    cache, counters and the viewer's flags fresh in one query)."""

    def tweet_page(self, queryset):
        ordering = self.paginator.get_ordering(self.request, queryset, self)
        columns = dict.fromkeys(["pk", *(column.removeprefix("-") for column in ordering)])
        page = self.paginate_queryset(queryset.values(*columns))
        data = render_tweets(
            [row["pk"] for row in page], viewer=self.request.user, request=self.request
        )
        return self.get_paginated_response(data)


class TweetViewSet(InputSerializersMixin, TweetListMixin, viewsets.GenericViewSet):
    """Tweets: post (with photos), read, edit, delete; likes, retweets and comments."""

    serializer_class = TweetSerializer
    input_serializers = {
        "create": TweetCreateInputSerializer,
        "partial_update": TweetUpdateInputSerializer,
        "comments": CommentCreateInputSerializer,
    }
    lookup_value_regex = r"\d+"
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    throttle_scope = "post"
    throttle_writes_only = True

    def render_tweet(self, tweet_id: int, status_code=status.HTTP_200_OK):
        tweet = selectors.get_tweet_for_display(tweet_id=tweet_id, viewer=viewer_of(self.request))
        return Response(
            TweetSerializer(tweet, context=self.get_serializer_context()).data, status=status_code
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("hashtag", str, description="Only tweets with this hashtag."),
            OpenApiParameter("q", str, description="Only tweets containing these words."),
        ]
    )
    def list(self, request):
        queryset = selectors.list_tweets(
            viewer=viewer_of(request),
            hashtag=request.query_params.get("hashtag"),
            q=request.query_params.get("q"),
        )
        return self.tweet_page(queryset)

    @extend_schema(request=TweetCreateInputSerializer, responses={201: TweetSerializer})
    def create(self, request):
        data = validated(TweetCreateInputSerializer, request)
        tweet = services.create_tweet(
            author=request.user,
            text=data.get("text", ""),
            photos=data["photos"],
            alt_texts=data["alt_texts"],
            in_reply_to_id=data.get("in_reply_to_id"),
            quote_of_id=data.get("quote_of_id"),
        )
        return self.render_tweet(tweet.pk, status.HTTP_201_CREATED)

    @extend_schema(responses={200: TweetDetailSerializer})
    def retrieve(self, request, pk: int):
        """The tweet, with the first page of its comments (oldest first) and the link to
        the next page of them."""
        viewer = viewer_of(request)
        tweet = selectors.get_tweet_for_display(tweet_id=pk, viewer=viewer)
        original = tweet.retweet_of or tweet  # comments are on the original
        comments_url = request.build_absolute_uri(
            reverse("tweet-comments", kwargs={"pk": original.pk})
        )
        tweet.comment_page = self.paginator.first_page(
            selectors.comments_of(original, viewer=viewer),
            request,
            url=comments_url,
            size=self.paginator.page_size,
        )
        tweet.comments_next_url = self.paginator.get_next_link()
        return Response(TweetDetailSerializer(tweet, context=self.get_serializer_context()).data)

    @extend_schema(
        request=TweetUpdateInputSerializer,
        responses={200: TweetSerializer},
        description="Edit the text: the author only, within TWEET_EDIT_WINDOW_SECONDS of "
        "posting and at most TWEET_EDIT_LIMIT times (403 `edit_window_closed` otherwise); "
        "the previous text is kept in the history.",
    )
    def partial_update(self, request, pk: int):
        data = validated(TweetUpdateInputSerializer, request)
        tweet = services.edit_tweet(editor=request.user, tweet_id=pk, text=data["text"])
        return self.render_tweet(tweet.pk)

    def destroy(self, request, pk: int):
        services.delete_tweet(actor=request.user, tweet_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={200: TweetVersionSerializer(many=True)})
    @action(
        detail=True,
        methods=["get"],
        pagination_class=None,
        permission_classes=[permissions.AllowAny],
    )
    def history(self, request, pk: int):
        """The tweet's texts, newest first: the current one, then those edits replaced."""
        versions = selectors.list_tweet_versions(tweet_id=pk, viewer=viewer_of(request))
        return Response(TweetVersionSerializer(versions, many=True).data)

    @extend_schema(request=None, responses={200: TweetSerializer})
    @action(detail=True, methods=["post", "delete"], throttle_scope="toggle")
    def like(self, request, pk: int):
        toggle = services.like_tweet if request.method == "POST" else services.unlike_tweet
        return self.render_tweet(toggle(user=request.user, tweet_id=pk).pk)

    @extend_schema(request=None, responses={200: TweetSerializer})
    @action(detail=True, methods=["post", "delete"], throttle_scope="toggle")
    def bookmark(self, request, pk: int):
        """Bookmark (POST) or unbookmark (DELETE) the tweet, a retweet's original;
        private: nobody is told. Answers the tweet with `is_bookmarked`."""
        toggle = services.bookmark_tweet if request.method == "POST" else services.unbookmark_tweet
        return self.render_tweet(toggle(user=request.user, tweet_id=pk).pk)

    @extend_schema(request=None, responses={200: ProfileSerializer})
    @action(detail=True, methods=["post", "delete"], throttle_scope="toggle")
    def pin(self, request, pk: int):
        """Pin (POST) one of your own tweets to your profile, replacing the pin you had, or
        unpin it (DELETE). Answers your Profile with `pinned_tweet`."""
        toggle = services.pin_tweet if request.method == "POST" else services.unpin_tweet
        toggle(user=request.user, tweet_id=pk)
        profile = get_profile(username=request.user.username, viewer=request.user)
        return Response(ProfileSerializer(profile, context=self.get_serializer_context()).data)

    @extend_schema(responses={200: UserSummarySerializer(many=True)})
    @action(detail=True, methods=["get"], permission_classes=[permissions.AllowAny])
    def likes(self, request, pk: int):
        page = self.paginate_queryset(selectors.list_likes(tweet_id=pk, viewer=viewer_of(request)))
        users = [like.user for like in page]
        return self.get_paginated_response(
            UserSummarySerializer(users, many=True, context=self.get_serializer_context()).data
        )

    @extend_schema(request=None, responses={200: TweetSerializer})
    @action(detail=True, methods=["post", "delete"], throttle_scope="toggle")
    def retweet(self, request, pk: int):
        toggle = services.retweet if request.method == "POST" else services.undo_retweet
        return self.render_tweet(toggle(user=request.user, tweet_id=pk).pk)

    @extend_schema(responses={200: TweetContextSerializer})
    @action(detail=True, methods=["get"], permission_classes=[permissions.AllowAny])
    def context(self, request, pk: int):
        """The thread around a tweet: its ancestors, root first, and its descendants in
        thread order (at most 200)."""
        ancestors, descendants = selectors.get_context(tweet_id=pk, viewer=viewer_of(request))
        data = {"ancestors": ancestors, "descendants": descendants}
        return Response(TweetContextSerializer(data, context=self.get_serializer_context()).data)

    @extend_schema(responses={200: TweetSerializer(many=True)})
    @action(detail=True, methods=["get"], permission_classes=[permissions.AllowAny])
    def replies(self, request, pk: int):
        """A tweet's direct replies, oldest first."""
        return self.tweet_page(selectors.list_replies(tweet_id=pk, viewer=viewer_of(request)))

    @extend_schema(methods=["GET"], responses={200: CommentSerializer(many=True)})
    @extend_schema(
        methods=["POST"], request=CommentCreateInputSerializer, responses={201: CommentSerializer}
    )
    @action(detail=True, methods=["get", "post"])
    def comments(self, request, pk: int):
        viewer = viewer_of(request)
        context = self.get_serializer_context()
        if request.method == "POST":
            data = validated(CommentCreateInputSerializer, request)
            comment = services.create_comment(author=request.user, tweet_id=pk, text=data["text"])
            comment = selectors.get_comment_for_display(comment_id=comment.pk, viewer=viewer)
            return Response(
                CommentSerializer(comment, context=context).data, status=status.HTTP_201_CREATED
            )
        page = self.paginate_queryset(selectors.list_comments(tweet_id=pk, viewer=viewer))
        return self.get_paginated_response(CommentSerializer(page, many=True, context=context).data)


class CommentViewSet(InputSerializersMixin, viewsets.GenericViewSet):
    serializer_class = CommentSerializer
    lookup_value_regex = r"\d+"
    permission_classes = [permissions.IsAuthenticated]
    throttle_scope = "post"
    throttle_writes_only = True

    def destroy(self, request, pk: int):
        services.delete_comment(actor=request.user, comment_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: CommentSerializer})
    @action(detail=True, methods=["post", "delete"], throttle_scope="toggle")
    def like(self, request, pk: int):
        toggle = services.like_comment if request.method == "POST" else services.unlike_comment
        comment = toggle(user=request.user, comment_id=pk)
        comment = selectors.get_comment_for_display(comment_id=comment.pk, viewer=request.user)
        return Response(CommentSerializer(comment, context=self.get_serializer_context()).data)


class BookmarkViewSet(viewsets.GenericViewSet):
    """GET /bookmarks/: the caller's bookmarked tweets, most recently bookmarked first."""

    serializer_class = TweetSerializer
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={200: TweetSerializer(many=True)})
    def list(self, request):
        page = self.paginate_queryset(selectors.list_bookmarks(user=request.user))
        tweets = selectors.bookmarked_tweets(page, viewer=request.user)
        data = TweetSerializer(tweets, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)


class UserTweetsViewSet(TweetListMixin, viewsets.GenericViewSet):
    """GET /users/{username}/tweets/: their tweets and retweets, newest first."""

    serializer_class = TweetSerializer
    permission_classes = [permissions.AllowAny]
    lookup_field = "username"
    lookup_value_regex = USERNAME_PATTERN

    @extend_schema(responses={200: TweetSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def tweets(self, request, username: str):
        return self.tweet_page(
            selectors.list_user_tweets(username=username, viewer=viewer_of(request))
        )


class TrendViewSet(viewsets.GenericViewSet):
    """The most used hashtags of the last 24 hours, computed in the background."""

    serializer_class = TrendSerializer
    permission_classes = [permissions.AllowAny]
    pagination_class = None

    def list(self, request):
        return Response(TrendSerializer(selectors.list_trends(), many=True).data)
