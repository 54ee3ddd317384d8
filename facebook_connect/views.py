"""Facebook endpoints (docs/api.md, "Facebook"). Thin: validate, call one service or selector,
render."""

from django.conf import settings
from django.contrib.auth import login as session_login
from django.http import HttpResponseRedirect
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from accounts.emails import site_url_of
from accounts.services import issue_tokens
from core.api import InputSerializersMixin, validated
from core.parsers import JSONParser
from facebook_connect import oauth, selectors
from facebook_connect.exceptions import FacebookLoginCancelled, FacebookTokenInvalid
from facebook_connect.serializers import (
    FacebookAuthResultSerializer,
    FacebookConnectionSerializer,
    FacebookDataDeletionSerializer,
    FacebookDataDeletionStatusSerializer,
    FacebookFriendSerializer,
    FacebookOkSerializer,
    FacebookShareInputSerializer,
    FacebookShareSerializer,
    FacebookSignedRequestInputSerializer,
    FacebookTokenInputSerializer,
)
from facebook_connect.services import callbacks, connection, login, shares, sync, tokens

# The browser session is loaded back by accounts' backend (active users only); Facebook
# proved who the user is, so no backend's authenticate() runs here.
SESSION_BACKEND = "accounts.backends.UsernameOrEmailBackend"


class FacebookAuthViewSet(InputSerializersMixin, viewsets.GenericViewSet):
    """Facebook login: the SDK token endpoint and the browser (OAuth code) flow."""

    singleton = True  # core.routers: /auth/facebook/, its authorize/ and callback/
    permission_classes = [permissions.AllowAny]
    # The token travels in the body: a stale Bearer header must not block a login.
    authentication_classes = []
    serializer_class = FacebookAuthResultSerializer
    input_serializers = {"create": FacebookTokenInputSerializer}
    throttle_scope = "facebook"

    @extend_schema(
        request=FacebookTokenInputSerializer,
        responses={200: FacebookAuthResultSerializer, 201: FacebookAuthResultSerializer},
        description="Log in or register with a Facebook user token: 200 for an existing "
        "user, 201 for a new one.",
    )
    def create(self, request):
        data = validated(FacebookTokenInputSerializer, request)
        user, created = login.login_with_facebook(
            access_token=data["access_token"], site_url=site_url_of(request)
        )
        body = {"user": user, **issue_tokens(user=user), "created": created}
        return Response(
            FacebookAuthResultSerializer(body, context={"request": request}).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        parameters=[OpenApiParameter("next", str, description="Where to go after login.")],
        responses={302: OpenApiResponse(description="To Facebook's login dialog.")},
    )
    @action(detail=False, methods=["get"])
    def authorize(self, request):
        next_url = oauth.safe_next(request, request.query_params.get("next"))
        state, nonce = oauth.make_state(next_url)
        response = HttpResponseRedirect(
            oauth.dialog_url(state=state, redirect_to=oauth.redirect_uri(request))
        )
        response.set_cookie(
            oauth.STATE_COOKIE,
            nonce,
            max_age=settings.FACEBOOK_STATE_MAX_AGE,
            path=oauth.callback_path(),
            secure=request.is_secure(),
            httponly=True,
            samesite="Lax",  # sent on the top-level navigation back from facebook.com
        )
        return response

    @extend_schema(
        parameters=[
            OpenApiParameter("code", str, description="From Facebook's login dialog."),
            OpenApiParameter("state", str, description="The state sent to the dialog."),
        ],
        responses={
            302: OpenApiResponse(description="Logged in (session); to `next`."),
            400: OpenApiResponse(description="Bad, used or expired state; bad code."),
        },
    )
    @action(detail=False, methods=["get"])
    def callback(self, request):
        next_url = oauth.consume_state(
            request, request.query_params.get("state", ""), request.COOKIES.get(oauth.STATE_COOKIE)
        )
        if request.query_params.get("error"):
            raise FacebookLoginCancelled()
        code = request.query_params.get("code", "")
        if not code or len(code) > 2048:
            raise FacebookTokenInvalid("The Facebook login code is missing.")
        token = tokens.exchange_code(code=code, redirect_to=oauth.redirect_uri(request))
        user, _created = login.login_with_facebook(
            access_token=token, site_url=site_url_of(request)
        )
        session_login(request._request, user, backend=SESSION_BACKEND)
        response = HttpResponseRedirect(next_url)
        response.delete_cookie(oauth.STATE_COOKIE, path=oauth.callback_path())
        return response


class FacebookConnectionViewSet(InputSerializersMixin, viewsets.GenericViewSet):
    """The signed-in user's Facebook connection: status, connect, disconnect, sync,
    friends on Chirp."""

    singleton = True  # core.routers: /me/facebook/, its sync/ and friends/
    permission_classes = [permissions.IsAuthenticated]
    serializer_class = FacebookConnectionSerializer
    input_serializers = {"create": FacebookTokenInputSerializer}
    throttle_scope = "facebook"
    throttle_writes_only = True

    def _status(self, user):
        connection = selectors.get_connection_status(user=user)
        return Response(FacebookConnectionSerializer(connection).data)

    def retrieve(self, request):
        return self._status(request.user)

    @extend_schema(
        request=FacebookTokenInputSerializer, responses={200: FacebookConnectionSerializer}
    )
    def create(self, request):
        data = validated(FacebookTokenInputSerializer, request)
        connection.connect_facebook(user=request.user, access_token=data["access_token"])
        return self._status(request.user)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request):
        connection.disconnect_facebook(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={202: None})
    @action(detail=False, methods=["post"])
    def sync(self, request):
        sync.request_sync(user=request.user)
        return Response(status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={200: FacebookFriendSerializer(many=True)})
    @action(detail=False, methods=["get"])
    def friends(self, request):
        page = self.paginate_queryset(selectors.list_facebook_friends(user=request.user))
        data = FacebookFriendSerializer(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(data.data)


class TweetShareViewSet(InputSerializersMixin, viewsets.GenericViewSet):
    """Publishing a tweet to a Facebook Page the user manages, in the background
    (POST /tweets/{tweet_id}/share/facebook/)."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = FacebookShareSerializer
    input_serializers = {"share_facebook": FacebookShareInputSerializer}
    throttle_scope = "facebook"
    lookup_url_kwarg = "tweet_id"
    lookup_value_regex = r"\d+"

    @extend_schema(request=FacebookShareInputSerializer, responses={202: FacebookShareSerializer})
    @action(detail=True, methods=["post"], url_path="share/facebook", url_name="facebook")
    def share_facebook(self, request, tweet_id: int):
        data = validated(FacebookShareInputSerializer, request)
        share = shares.create_share(user=request.user, tweet_id=tweet_id, page_id=data["page_id"])
        return Response(FacebookShareSerializer(share).data, status=status.HTTP_202_ACCEPTED)


class FacebookShareViewSet(viewsets.GenericViewSet):
    """A share's state: pending, done (with Facebook's post id) or failed."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = FacebookShareSerializer
    lookup_value_regex = r"\d+"

    def retrieve(self, request, pk: int):
        share = selectors.access_share(share_id=pk, user=request.user)
        return Response(FacebookShareSerializer(share).data)


class FacebookCallbackViewSet(InputSerializersMixin, viewsets.GenericViewSet):
    """Calls from Facebook's servers: deauthorize and data deletion (a `signed_request`
    proves them), and the deletion status page."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    parser_classes = [FormParser, MultiPartParser, JSONParser]
    serializer_class = FacebookSignedRequestInputSerializer
    input_serializers = {
        "deauthorize": FacebookSignedRequestInputSerializer,
        "data_deletion": FacebookSignedRequestInputSerializer,
    }

    @extend_schema(
        request=FacebookSignedRequestInputSerializer, responses={200: FacebookOkSerializer}
    )
    @action(detail=False, methods=["post"])
    def deauthorize(self, request):
        data = validated(FacebookSignedRequestInputSerializer, request)
        callbacks.deauthorize(signed_request=data["signed_request"])
        return Response({"status": "ok"})

    @extend_schema(
        request=FacebookSignedRequestInputSerializer,
        responses={200: FacebookDataDeletionSerializer},
    )
    @action(detail=False, methods=["post"], url_path="data-deletion")
    def data_deletion(self, request):
        data = validated(FacebookSignedRequestInputSerializer, request)
        deletion = callbacks.request_data_deletion(signed_request=data["signed_request"])
        code = deletion.confirmation_code
        url = request.build_absolute_uri(reverse("facebook-data-deletion-status", args=[code]))
        return Response({"url": url, "confirmation_code": code})

    @extend_schema(request=None, responses={200: FacebookDataDeletionStatusSerializer})
    @action(
        detail=False,
        methods=["get"],
        url_path="data-deletion/(?P<confirmation_code>[^/]+)",
        url_name="data-deletion-status",
    )
    def data_deletion_status(self, request, confirmation_code: str):
        deletion = selectors.get_data_deletion(confirmation_code=confirmation_code)
        return Response({"status": deletion.status})
