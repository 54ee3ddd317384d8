"""gunicorn's settings for Chirp's HTTP server (docs/scaling.md):

    gunicorn --config config/gunicorn.py --bind 0.0.0.0:8000 config.wsgi

WSGI, so a request runs on the thread that received it, with no hop to another thread as
under ASGI. Threads are fixed and each keeps at most one persistent PostgreSQL connection:
this server holds at most WEB_CONCURRENCY x WEB_THREADS connections, whatever the load.
Requests beyond the threads wait in the listen backlog, not in the database.
"""

import os

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
