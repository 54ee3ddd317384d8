from celery import shared_task

from tweets import services


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=10, max_retries=3)
def compute_trends() -> int:
    """Beat task: rewrite the trends table. Idempotent: the table is replaced as a whole."""
    return len(services.compute_trends())
