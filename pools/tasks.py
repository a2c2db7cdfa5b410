"""pools' Celery tasks, registered here for the worker's autodiscovery; each is defined
beside the service it runs."""

from pools.capture.imports.runs import import_run
from pools.capture.imports.services import import_sweep

__all__ = ["import_run", "import_sweep"]
