"""gunicorn's settings for Chirp's HTTP server (docs/scaling.md):

    gunicorn --config config/gunicorn.py --bind 0.0.0.0:8000 config.wsgi

WSGI, so a request runs on the thread that received it, with no hop to another thread as
under ASGI. Threads are fixed and each keeps at most one persistent PostgreSQL connection:
this server holds at most WEB_CONCURRENCY x WEB_THREADS connections, whatever the load.
Requests beyond the threads wait in the listen backlog, not in the database.
"""

import json
import os

from gunicorn import util as gunicorn_util

# Processes: each runs Python on one core at a time.
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1))
# Threads per process: they overlap the waits on PostgreSQL and Redis, and hold keep-alive
# connections from the proxy. More than 2 cost CPU per request in contention for the GIL
# (docs/benchmarks.md#serving).
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS") or 2)
# Kill a request stuck longer than this (the proxy gives up at 60 s anyway).
timeout = 60
graceful_timeout = 20
# Idle keep-alive connections from the proxy (nginx keeps a few open to each worker).
keepalive = 30
# Log to stdout/stderr for the container runtime; access lines come from the proxy.
errorlog = "-"
accesslog = None

# The request line: up to 8190 bytes (gunicorn's maximum; its default is 4094), so that the
# proxy's limit (8 KB, deploy/nginx.conf) is the one clients meet, in the API's envelope.
limit_request_line = 8190


# What gunicorn answers itself, before Django sees the request (a request line or header
# over its limits, a request it cannot parse), is the API's JSON envelope too, not its HTML
# page: clients that reach gunicorn without the proxy (make bench-serve, the tests) parse
# one shape. gunicorn writes these answers with this one function.
ERROR_CODES = {
    400: "bad_request",
    414: "uri_too_long",
    417: "expectation_failed",
    431: "header_too_large",
    500: "server_error",
    501: "not_implemented",
}


def write_json_error(sock, status_int: int, reason: str, mesg: str) -> None:
    code = ERROR_CODES.get(status_int, "bad_request")
    # gunicorn's message quotes the request; the envelope does not echo it.
    body = json.dumps({"code": code, "detail": f"{reason}."}).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode("latin-1")
    gunicorn_util.write_nonblock(sock, head + body)


gunicorn_util.write_error = write_json_error
