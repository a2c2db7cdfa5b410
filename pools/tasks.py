"""pools' Celery tasks, registered here for the worker's autodiscovery; each is defined
beside the service that queues it."""

from pools.capture.imports.services import import_run, import_sweep

__all__ = ["import_run", "import_sweep"]
