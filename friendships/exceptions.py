from core.exceptions import ApplicationError


class CannotFollowSelf(ApplicationError):
    default_code = "cannot_follow_self"
    default_detail = "You cannot follow yourself."
