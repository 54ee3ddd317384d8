from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, viewsets
from rest_framework.response import Response

from accounts import selectors as account_selectors
from accounts.serializers import ProfileSerializer, UserSummarySerializer
from core.api import InputSerializersMixin
from core.pagination import CursorPagination
from friendships import selectors, services
from friendships.suggestions import get_suggestions


class FollowViewSet(InputSerializersMixin, viewsets.GenericViewSet):
    """POST/DELETE /users/{username}/follow/: follow and unfollow (idempotent)."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = ProfileSerializer
    throttle_scope = "toggle"

    def _profile(self, followee):
        profile = account_selectors.get_profile(
            username=followee.username, viewer=self.request.user
        )
        return Response(ProfileSerializer(profile, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses={200: ProfileSerializer})
    def follow(self, request, username: str):
        return self._profile(services.follow_user(follower=request.user, username=username))

    @extend_schema(request=None, responses={200: ProfileSerializer})
    def unfollow(self, request, username: str):
        return self._profile(services.unfollow_user(follower=request.user, username=username))


class FollowListViewSet(viewsets.GenericViewSet):
    """Followers and following of a user, most recent follow first."""

    permission_classes = [permissions.AllowAny]
    serializer_class = UserSummarySerializer
    pagination_class = CursorPagination

    def _users(self, queryset, side: str):
        page = self.paginate_queryset(queryset)
        users = [getattr(friendship, side) for friendship in page]
        data = UserSummarySerializer(users, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)

    @extend_schema(responses={200: UserSummarySerializer(many=True)})
    def followers(self, request, username: str):
        return self._users(selectors.list_followers(username=username), "follower")

    @extend_schema(responses={200: UserSummarySerializer(many=True)})
    def following(self, request, username: str):
        return self._users(selectors.list_following(username=username), "followee")


class UserSuggestionsSerializer(serializers.Serializer):
    """The list envelope, always a single page."""

    results = UserSummarySerializer(many=True)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class SuggestionViewSet(viewsets.GenericViewSet):
    """GET /users/suggestions/: up to 20 users worth following."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = UserSummarySerializer
    pagination_class = None

    @extend_schema(responses={200: UserSuggestionsSerializer})
    def suggestions(self, request):
        users = get_suggestions(user=request.user)
        data = UserSummarySerializer(users, many=True, context=self.get_serializer_context()).data
        return Response({"results": data, "next": None, "previous": None})
