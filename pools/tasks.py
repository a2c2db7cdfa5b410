from celery import shared_task

from pools.capture.imports.services import import_job_run


@shared_task
def import_run(job_id: int) -> str:
    """Run one CSV import. Not auto-retried: a failure is shown on the job's page; a worker
    that dies mid-file has the task redelivered (acks_late) and the import resumes."""
    return import_job_run(job_id=job_id)
