from core.exceptions import ApplicationError, PermissionDenied


class CannotEditRetweet(ApplicationError):
    default_code = "cannot_edit_retweet"
    default_detail = "Retweets cannot be edited."


class EditWindowClosed(PermissionDenied):
    default_code = "edit_window_closed"
    default_detail = "This tweet can no longer be edited."
