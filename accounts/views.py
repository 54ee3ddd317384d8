from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.settings import api_settings

from accounts import services
from accounts.emails import site_url_of
from accounts.serializers import (
    AuthResultSerializer,
    EmailVerifyInputSerializer,
    LoginInputSerializer,
    MeSerializer,
    MeUpdateInputSerializer,
    PasswordChangeInputSerializer,
    PasswordResetConfirmInputSerializer,
    PasswordResetInputSerializer,
    RefreshInputSerializer,
    SignupInputSerializer,
    TokenPairSerializer,
)
from accounts.throttling import check_password_attempt
from core.api import InputSerializersMixin, validated
from core.parsers import JSONParser
from core.schema import ErrorEnvelopeSerializer

# Statuses the automatic schema cannot infer: these endpoints are public, yet answer 401 for
# bad credentials or tokens; /me/ answers 413 for an avatar over the caps.
UNAUTHORIZED = {401: ErrorEnvelopeSerializer}
TOO_LARGE = {413: ErrorEnvelopeSerializer}


class AuthViewSet(InputSerializersMixin, viewsets.GenericViewSet):
    """Signup, login, token rotation, logout, email verification, passwords."""

    permission_classes = [permissions.AllowAny]
    # Credentials travel in the body: a stale Bearer header must not block a login, and no
    # session cookie is involved. Actions for a signed-in user set their own classes.
    authentication_classes = []
    throttle_scope = None  # each action names its own
    serializer_class = AuthResultSerializer
    input_serializers = {
        "signup": SignupInputSerializer,
        "login": LoginInputSerializer,
        "token_refresh": RefreshInputSerializer,
        "logout": RefreshInputSerializer,
        "email_verify": EmailVerifyInputSerializer,
        "password_change": PasswordChangeInputSerializer,
        "password_reset": PasswordResetInputSerializer,
        "password_reset_confirm": PasswordResetConfirmInputSerializer,
    }

    def _auth_result(self, user, status_code):
        body = {"user": user, **services.issue_tokens(user=user)}
        return Response(
            AuthResultSerializer(body, context={"request": self.request}).data, status=status_code
        )

    @extend_schema(request=SignupInputSerializer, responses={201: AuthResultSerializer})
    @action(detail=False, methods=["post"], throttle_scope="signup")
    def signup(self, request):
        data = validated(SignupInputSerializer, request)
        user = services.create_user(**data, site_url=site_url_of(request))
        return self._auth_result(user, status.HTTP_201_CREATED)

    @extend_schema(
        request=LoginInputSerializer, responses={200: AuthResultSerializer, **UNAUTHORIZED}
    )
    @action(detail=False, methods=["post"])
    def login(self, request):
        data = validated(LoginInputSerializer, request)
        check_password_attempt(request, login=data["username"])
        user = services.login(request=request, login=data["username"], password=data["password"])
        return self._auth_result(user, status.HTTP_200_OK)

    @extend_schema(
        request=RefreshInputSerializer, responses={200: TokenPairSerializer, **UNAUTHORIZED}
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="token/refresh",
        url_name="token-refresh",
        throttle_scope="token",
    )
    def token_refresh(self, request):
        data = validated(RefreshInputSerializer, request)
        return Response(services.refresh_tokens(refresh=data["refresh"]))

    @extend_schema(request=RefreshInputSerializer, responses={204: None, **UNAUTHORIZED})
    @action(detail=False, methods=["post"], throttle_scope="token")
    def logout(self, request):
        data = validated(RefreshInputSerializer, request)
        services.logout(refresh=data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=EmailVerifyInputSerializer, responses={200: MeSerializer})
    @action(
        detail=False,
        methods=["post"],
        url_path="email/verify",
        url_name="email-verify",
        throttle_scope="email",
    )
    def email_verify(self, request):
        data = validated(EmailVerifyInputSerializer, request)
        user = services.verify_email(token=data["token"])
        return Response(MeSerializer(user, context={"request": request}).data)

    @extend_schema(request=None, responses={202: None})
    @action(
        detail=False,
        methods=["post"],
        url_path="email/resend",
        url_name="email-resend",
        permission_classes=[permissions.IsAuthenticated],
        authentication_classes=api_settings.DEFAULT_AUTHENTICATION_CLASSES,
        throttle_scope="email",
    )
    def email_resend(self, request):
        services.resend_verification_email(user=request.user, site_url=site_url_of(request))
        return Response(status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=PasswordChangeInputSerializer, responses={204: None})
    @action(
        detail=False,
        methods=["post"],
        url_path="password/change",
        url_name="password-change",
        permission_classes=[permissions.IsAuthenticated],
        authentication_classes=api_settings.DEFAULT_AUTHENTICATION_CLASSES,
    )
    def password_change(self, request):
        data = validated(PasswordChangeInputSerializer, request)
        check_password_attempt(request, user=request.user)
        services.change_password(user=request.user, **data)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=PasswordResetInputSerializer, responses={202: None})
    @action(
        detail=False,
        methods=["post"],
        url_path="password/reset",
        url_name="password-reset",
        throttle_scope="password_reset",
    )
    def password_reset(self, request):
        data = validated(PasswordResetInputSerializer, request)
        services.request_password_reset(email=data["email"], site_url=site_url_of(request))
        return Response(status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=PasswordResetConfirmInputSerializer, responses={204: None})
    @action(
        detail=False,
        methods=["post"],
        url_path="password/reset/confirm",
        url_name="password-reset-confirm",
        throttle_scope="password_reset_confirm",
    )
    def password_reset_confirm(self, request):
        data = validated(PasswordResetConfirmInputSerializer, request)
        services.confirm_password_reset(**data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeViewSet(InputSerializersMixin, viewsets.GenericViewSet):
    """The signed-in user's own account: GET and PATCH /me/, DELETE /me/avatar/."""

    singleton = True  # core.routers: /me/ and /me/avatar/
    permission_classes = [permissions.IsAuthenticated]
    serializer_class = MeSerializer
    input_serializers = {"partial_update": MeUpdateInputSerializer}
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    throttle_scope = "upload"
    throttle_writes_only = True

    def retrieve(self, request):
        return Response(MeSerializer(request.user, context={"request": request}).data)

    @extend_schema(request=MeUpdateInputSerializer, responses={200: MeSerializer, **TOO_LARGE})
    def partial_update(self, request):
        data = validated(MeUpdateInputSerializer, request)
        user = services.update_profile(user=request.user, data=data, site_url=site_url_of(request))
        return Response(MeSerializer(user, context={"request": request}).data)

    @extend_schema(request=None, responses={204: None})
    @action(detail=False, methods=["delete"])
    def avatar(self, request):
        services.delete_avatar(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
