"""Request-level guards that keep every answer JSON and every body bounded."""

from urllib.parse import unquote

from django.conf import settings
from rest_framework.response import Response

from core import db, outages
from core.exception_handler import STATUS_ERRORS, json_error
from core.units import format_bytes

# Pages meant for people in a browser keep Django's HTML.
HTML_PREFIXES = ("/admin/", "/api-auth/", "/api/docs/")


class RequestSizeLimitMiddleware:
    """Refuse, by Content-Length, a body no endpoint would accept, before Django reads it.

    Django caps form fields (DATA_UPLOAD_MAX_MEMORY_SIZE) but streams uploaded files to disk
    whatever their size.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_BYTES:
            limit = format_bytes(settings.MAX_REQUEST_BYTES)
            return json_error(413, f"Request bodies may be at most {limit}.")
        return self.get_response(request)


class NullCharacterMiddleware:
    """Refuse (400) a path or query string holding a NUL character (%00), the one character
    a PostgreSQL text value cannot hold (docs/reliability.md trap 14): any view that filters by
    it would answer 500 there. Bodies need no such guard: DRF's CharField, which every
    input serializer uses, refuses NUL (and lone surrogates) itself."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        query = unquote(request.META.get("QUERY_STRING", ""))
        if "\x00" in request.path or "\x00" in query:
            return json_error(400, "Null characters are not allowed in the URL.")
        return self.get_response(request)


# Django's own error pages: HTML, or plain text when the client does not accept HTML (the
# DEBUG technical 500 page is a plain-text traceback for an `Accept: application/json` client).
ERROR_PAGE_TYPES = ("text/html", "text/plain")


class JsonErrorPagesMiddleware:
    """Turn Django's error pages (the DEBUG technical 404/500 pages, which bypass
    handler404/handler500, and the bodies of HttpResponseNotAllowed and friends) into the
    API's JSON envelope. Admin pages are left alone, and so are DRF's responses: the
    exception handler already put the envelope in them (code, detail, fields), and the
    browsable API only presents it as a page to a browser that asked for HTML."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code in STATUS_ERRORS
            and not isinstance(response, Response)
            and response.get("Content-Type", "").startswith(ERROR_PAGE_TYPES)
            and not request.path.startswith(HTML_PREFIXES)
        ):
            replacement = json_error(response.status_code)
            if response.has_header("Allow"):  # a 405 must say what is allowed
                replacement["Allow"] = response["Allow"]
            # Django logs a response once (its `_has_been_logged` flag): a 500 logged with its
            # traceback must not be logged again, as a new response, without it.
            replacement._has_been_logged = getattr(response, "_has_been_logged", False)
            return replacement
        return response


CONFLICT_DETAIL = "Too many requests changed the same data at once. Try again in a few seconds."


class ServiceUnavailableMiddleware:
    """A view that fails because PostgreSQL (or a Redis it cannot do without) is unreachable,
    or on a lock conflict its service's retries did not resolve (core.db), answers 503
    `service_unavailable` with Retry-After, not 500 (docs/reliability.md fault tests 9 and 10).

    Every view goes through here: DRF's (the exception handler leaves these errors unhandled
    and DRF re-raises them), Django's own (admin, api-auth, health) and the lazy session and
    user lookups of SessionMiddleware and AuthenticationMiddleware, which run inside the view
    that first reads `request.user`. Anything else is a bug and still reaches handler500.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        service = outages.unavailable_service(exception)
        if service is not None:
            outages.record(f"{service}_unavailable", exception)
            response = outages.service_unavailable_response(service)
        elif db.is_conflict(exception):
            # A deadlock or serialization failure left after core.db's retries: the same
            # request is likely to succeed a moment later, so it is not a bug's 500.
            outages.record("transaction_conflict", exception)
            response = outages.service_unavailable_response("database", CONFLICT_DETAIL)
        else:
            return None
        # Logged (rate-limited, with a count) by outages.record: without this flag Django
        # would log every 503 of an outage as an error, thousands of lines a second.
        response._has_been_logged = True
        return response
