from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import USERNAME_PATTERN
from accounts.serializers import ProfileSerializer, UserSummarySerializer
from core.api import InputSerializersMixin, validated, viewer_of
from friendships import selectors, services
from friendships.suggestions import get_suggestions
from safety import selectors as safety_selectors


# Served here rather than by accounts, which sits below follows (docs/architecture.md).
class ProfileViewSet(viewsets.GenericViewSet):
    """Profiles by username."""

    permission_classes = [permissions.AllowAny]
    serializer_class = ProfileSerializer
    lookup_field = "username"
    lookup_value_regex = USERNAME_PATTERN

    @extend_schema(
        responses={200: ProfileSerializer, 404: OpenApiResponse(description="Not found")}
    )
    def retrieve(self, request, username: str):
        viewer = request.user if request.user.is_authenticated else None
        user = selectors.get_profile(username=username, viewer=viewer)
        return Response(ProfileSerializer(user, context=self.get_serializer_context()).data)


class UserSearchViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """GET /users/?search=: users by username or display name prefix, newest first, without
    those who block the viewer or whom the viewer blocks."""

    serializer_class = UserSummarySerializer
    permission_classes = [permissions.AllowAny]

    def get_queryset(self):
        return selectors.search_users(
            search=self.request.query_params.get("search"), viewer=viewer_of(self.request)
        )

    @extend_schema(
        parameters=[OpenApiParameter("search", str, description="Username or display name prefix.")]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


class UserListViewSet(viewsets.GenericViewSet):
    """A page of relation rows (follows, blocks, mutes), shown as the users at `side`."""

    serializer_class = UserSummarySerializer
    lookup_field = "username"
    lookup_value_regex = USERNAME_PATTERN

    def _users(self, queryset, side: str):
        page = self.paginate_queryset(queryset)
        users = [getattr(row, side) for row in page]
        data = UserSummarySerializer(users, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)


class FollowListViewSet(UserListViewSet):
    """Followers and following of a user, most recent follow first."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(responses={200: UserSummarySerializer(many=True)})
    @action(detail=True, methods=["get"])
    def followers(self, request, username: str):
        queryset = selectors.list_followers(username=username, viewer=viewer_of(request))
        return self._users(queryset, "follower")

    @extend_schema(responses={200: UserSummarySerializer(many=True)})
    @action(detail=True, methods=["get"])
    def following(self, request, username: str):
        queryset = selectors.list_following(username=username, viewer=viewer_of(request))
        return self._users(queryset, "followee")


class MuteInputSerializer(serializers.Serializer):
    duration = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=10 * 365 * 24 * 3600,
        help_text="Seconds the mute lasts; without it, until unmuted.",
    )


class RelationViewSet(InputSerializersMixin, viewsets.GenericViewSet):
    """POST/DELETE /users/{username}/follow/, /block/ and /mute/ (idempotent)."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = ProfileSerializer
    input_serializers = {"mute": MuteInputSerializer}
    throttle_scope = "toggle"
    lookup_field = "username"
    lookup_value_regex = USERNAME_PATTERN

    def _profile(self, user):
        profile = selectors.get_profile(username=user.username, viewer=self.request.user)
        return Response(ProfileSerializer(profile, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses={200: ProfileSerializer})
    @action(detail=True, methods=["post", "delete"])
    def follow(self, request, username: str):
        toggle = services.follow_user if request.method == "POST" else services.unfollow_user
        return self._profile(toggle(follower=request.user, username=username))

    @extend_schema(request=None, responses={200: ProfileSerializer})
    @action(detail=True, methods=["post", "delete"])
    def block(self, request, username: str):
        toggle = services.block_user if request.method == "POST" else services.unblock_user
        return self._profile(toggle(blocker=request.user, username=username))

    @extend_schema(
        methods=["POST"], request=MuteInputSerializer, responses={200: ProfileSerializer}
    )
    @extend_schema(methods=["DELETE"], request=None, responses={200: ProfileSerializer})
    @action(detail=True, methods=["post", "delete"])
    def mute(self, request, username: str):
        if request.method == "DELETE":
            return self._profile(services.unmute_user(muter=request.user, username=username))
        data = validated(MuteInputSerializer, request)
        muted = services.mute_user(
            muter=request.user, username=username, duration=data.get("duration")
        )
        return self._profile(muted)


class BlockListViewSet(UserListViewSet):
    """GET /blocks/: the users the caller blocks, most recent block first."""

    permission_classes = [permissions.IsAuthenticated]

    def list(self, request):
        return self._users(safety_selectors.list_blocks(blocker=request.user), "blocked")


class MuteListViewSet(UserListViewSet):
    """GET /mutes/: the users the caller mutes now, most recent mute first."""

    permission_classes = [permissions.IsAuthenticated]

    def list(self, request):
        return self._users(safety_selectors.list_mutes(muter=request.user), "muted")


class FollowRequestViewSet(InputSerializersMixin, UserListViewSet):
    """GET /follow-requests/: who asked to follow the caller, most recent first; POST
    /follow-requests/{username}/accept/ and /reject/ answer the requester's profile."""

    permission_classes = [permissions.IsAuthenticated]

    def list(self, request):
        return self._users(selectors.list_follow_requests(target=request.user), "requester")

    def _profile(self, user):
        profile = selectors.get_profile(username=user.username, viewer=self.request.user)
        return Response(ProfileSerializer(profile, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses={200: ProfileSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request, username: str):
        return self._profile(services.accept_follow_request(target=request.user, username=username))

    @extend_schema(request=None, responses={200: ProfileSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, username: str):
        return self._profile(services.reject_follow_request(target=request.user, username=username))


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
    @action(detail=False, methods=["get"])
    def suggestions(self, request):
        users = get_suggestions(user=request.user)
        data = UserSummarySerializer(users, many=True, context=self.get_serializer_context()).data
        return Response({"results": data, "next": None, "previous": None})
