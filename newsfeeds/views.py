from rest_framework import permissions, viewsets

from newsfeeds.selectors import list_feed_ids
from tweets.payloads import render_tweets
from tweets.serializers import TweetSerializer


class NewsfeedViewSet(viewsets.GenericViewSet):
    """GET /newsfeed/: the caller's home timeline, newest first. Items are TweetSerializer's
    shape, rendered through the tweet cache (tweets.payloads); a tweet deleted since its
    id was read is left out of the page."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = TweetSerializer

    def list(self, request):
        tweet_ids = self.paginator.paginate_keys(
            lambda cursor, limit: list_feed_ids(user=request.user, cursor=cursor, limit=limit),
            request,
            view=self,
        )
        data = render_tweets(tweet_ids, viewer=request.user, request=request)
        return self.get_paginated_response(data)
