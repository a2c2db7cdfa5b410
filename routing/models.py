from django.db import models


class Heartbeat(models.Model):
    """When a periodic job last ran; /healthz reads it to tell whether beat is alive."""

    SWEEP = "sweep"

    name = models.CharField(max_length=50, unique=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"
