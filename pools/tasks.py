from celery import shared_task

from leadroute.tasks import LEAD_INTAKE_TASK, task_by_name

from .imports.services import import_job_run


@shared_task
def import_run(job_id: int) -> str:
    """Run one CSV import. Not auto-retried: a failure is shown on the job's page; a worker
    that dies mid-file has the task redelivered (acks_late) and the import resumes."""
    return import_job_run(job_id=job_id)


@shared_task(autoretry_for=(Exception,), max_retries=5, retry_backoff=True)
def leads_intake(lead_ids: list[int]) -> int:
    """Screen and route a batch of imported leads, each through the routing layer's own
    intake task body (looked up by name: pools sits below routing), each in its own
    transaction. Safe to run twice, as lead_intake is."""
    intake = task_by_name(LEAD_INTAKE_TASK)
    for lead_id in lead_ids:
        intake.run(lead_id)
    return len(lead_ids)
