from core.exceptions import ApplicationError


class CannotEditRetweet(ApplicationError):
    default_code = "cannot_edit_retweet"
    default_detail = "Retweets cannot be edited."
