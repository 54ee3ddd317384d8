"""The HTML login pages: the browsable API's (/api-auth/login/) and the admin's
(/admin/login/). They check passwords, so they share the API login's password throttle
(accounts.throttling); over the rate the form comes back with an error and status 429."""

import functools

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from rest_framework.exceptions import Throttled

from accounts.throttling import check_password_attempt

THROTTLED_MESSAGE = "Too many login attempts. Try again in %(wait)d seconds."


class PasswordThrottledFormMixin:
    """For Django's authentication forms: the throttle counts the attempt before the
    password is checked, and refuses it when over the rate (`throttle_wait` is then set)."""

    throttle_wait: int | None = None

    def clean(self):
        username = self.cleaned_data.get("username")
        if username is not None and self.cleaned_data.get("password"):
            try:
                check_password_attempt(self.request, login=username)
            except Throttled as exc:
                self.throttle_wait = exc.wait
                raise ValidationError(
                    THROTTLED_MESSAGE, code="throttled", params={"wait": exc.wait}
                ) from exc
        return super().clean()


class LoginForm(PasswordThrottledFormMixin, AuthenticationForm):
    pass


class AdminLoginForm(PasswordThrottledFormMixin, AdminAuthenticationForm):
    pass


def answer_throttled_with_429(view):
    """A login view whose form the throttle refused answers 429 with Retry-After (the page
    shows the form again with the error), not 200."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        form = (getattr(response, "context_data", None) or {}).get("form")
        wait = getattr(form, "throttle_wait", None)
        if wait is not None:
            response.status_code = 429
            response["Retry-After"] = str(wait)
        return response

    return wrapped


browsable_api_login = answer_throttled_with_429(
    LoginView.as_view(template_name="rest_framework/login.html", authentication_form=LoginForm)
)
