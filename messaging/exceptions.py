from core.exceptions import ApplicationError


class CannotMessageSelf(ApplicationError):
    default_code = "cannot_message_self"
    default_detail = "You cannot start a conversation with yourself."
