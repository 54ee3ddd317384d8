from core.exceptions import ApplicationError, PermissionDenied


class Blocked(PermissionDenied):
    default_code = "blocked"
    default_detail = "You cannot do this: one of you blocks the other."


class CannotBlockSelf(ApplicationError):
    default_code = "cannot_block_self"
    default_detail = "You cannot block yourself."


class CannotMuteSelf(ApplicationError):
    default_code = "cannot_mute_self"
    default_detail = "You cannot mute yourself."


class Protected(PermissionDenied):
    default_code = "protected"
    default_detail = "This account is protected: its tweets cannot be retweeted or shared."
