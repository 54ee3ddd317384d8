from core.exceptions import ApplicationError


class CannotMessageSelf(ApplicationError):
    default_code = "cannot_message_self"
    default_detail = "You cannot start a conversation with yourself."


class NotAGroup(ApplicationError):
    default_code = "not_a_group"
    default_detail = "Only a group conversation has participants to add or leave."


class GroupFull(ApplicationError):
    default_code = "group_full"
    default_detail = "A group holds at most 50 participants."
