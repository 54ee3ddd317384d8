from django.contrib.auth.backends import ModelBackend

from accounts.models import User
from accounts.selectors import find_user_by_login


class UsernameOrEmailBackend(ModelBackend):
    """Log in with the username or the email, both without regard to case.

    Unknown users still pay for one password hash, so timing does not reveal whether an
    account exists (the same answer and the same cost as a wrong password).
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        user = find_user_by_login(username)
        if user is None:
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
