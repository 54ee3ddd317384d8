from core.exceptions import ApplicationError


class CannotReportSelf(ApplicationError):
    default_code = "cannot_report_self"
    default_detail = "You cannot report yourself or your own content."
