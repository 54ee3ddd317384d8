"""Scheduling background work after commit, without letting a broker outage break the
request that caused it (docs/reliability.md trap 5).

Work that must not be lost is recorded in the same transaction (a state column or an
outbox row) and re-enqueued by a periodic reconciler; this helper only tries once, fast.
"""

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Send `task` with these arguments once the current transaction commits.

    If the broker is unreachable the error is logged, not raised: the write has already
    committed, and the caller's reconciler (or a later retry) finishes the work.
    """

    def send() -> None:
        try:
            task.apply_async(args=args, kwargs=kwargs)
        except Exception:
            logger.exception("could not enqueue %s%r; the reconciler will retry", task.name, args)

    transaction.on_commit(send)
