from celery import shared_task

from core.tasks import PeriodicTask
from tweets import services


@shared_task(base=PeriodicTask)
def compute_trends() -> int:
    """Beat task: rewrite the trends table. Idempotent: the table is replaced as a whole."""
    return len(services.compute_trends())
