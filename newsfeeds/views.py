from rest_framework import permissions, viewsets

from core.pagination import CursorPagination, cursor_from, page_size_from
from newsfeeds.selectors import get_feed_page
from tweets.payloads import render_tweets
from tweets.serializers import TweetSerializer


class NewsfeedViewSet(viewsets.GenericViewSet):
    """GET /newsfeed/: the caller's home timeline, newest first. Items are TweetSerializer's
    shape, rendered through the tweet cache (tweets.payloads); a tweet deleted since its
    id was read is left out of the page."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = TweetSerializer
    pagination_class = CursorPagination

    def list(self, request):
        page = get_feed_page(
            user=request.user, cursor=cursor_from(request), page_size=page_size_from(request)
        )
        data = render_tweets(page.items, viewer=request.user, request=request)
        return self.paginator.respond(request, page, data)
