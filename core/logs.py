"""Log filters: one line per failed request, a traceback only when the fault is ours."""

import logging

# Django logs every 4xx here; the server's access log already has a line for the request.
REQUEST_LOGGER = "django.request"


class ClientErrorFilter(logging.Filter):
    """For records about a request that failed with a 4xx (Django puts `status_code` on them):

    - `django.request`'s line is dropped: the access log line (method, path, status) says
      the same, so a 401 or 404 printed two or three lines;
    - others (`django.security.*`: a Host not in ALLOWED_HOSTS, a CSRF failure, a malformed
      body) keep their message, the reason the access log cannot give, without the
      traceback: the client's mistake is not a fault in our code.

    5xx records pass untouched, traceback included.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if not isinstance(status, int) or not 400 <= status < 500:
            return True
        if record.name == REQUEST_LOGGER:
            return False
        record.exc_info = None
        record.exc_text = None
        return True
