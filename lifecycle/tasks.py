"""Account purge and data export tasks. Thin: ids in, services do the work; a job longer
than one task's time slice continues in a new task; beat's `resume` re-enqueues jobs whose
worker died (their lease ran out)."""

from celery import shared_task

from core.tasks import PeriodicTask
from lifecycle import services


@shared_task
def purge_account(user_id: int) -> bool | None:
    finished = services.purge_account(user_id=user_id)
    if finished is False:
        purge_account.apply_async(args=(user_id,))
    return finished


@shared_task
def build_export(export_id: int) -> bool | None:
    finished = services.build_export(export_id=export_id)
    if finished is False:
        build_export.apply_async(args=(export_id,))
    return finished


@shared_task(base=PeriodicTask)
def resume() -> int:
    """Beat task: enqueue the purges and exports nobody works on."""
    return services.resume()


@shared_task(base=PeriodicTask)
def expire_exports() -> int:
    """Beat task: delete the archives whose download link expired."""
    return services.expire_exports()
