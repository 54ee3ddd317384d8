from rest_framework import permissions, viewsets

from core.pagination import CursorPagination, cursor_from, page_size_from
from newsfeeds.selectors import get_feed_page
from tweets.serializers import TweetSerializer


class NewsfeedViewSet(viewsets.GenericViewSet):
    """GET /newsfeed/: the caller's home timeline, newest first."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = TweetSerializer
    pagination_class = CursorPagination

    def list(self, request):
        page = get_feed_page(
            user=request.user, cursor=cursor_from(request), page_size=page_size_from(request)
        )
        data = TweetSerializer(page.items, many=True, context=self.get_serializer_context()).data
        return self.paginator.respond(request, page, data)
