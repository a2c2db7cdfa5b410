# The Celery app is imported here so that @shared_task binds to it in every process.
from leadroute.celery import app as celery_app

__all__ = ("celery_app",)
