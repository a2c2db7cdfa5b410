"""SQL aggregates the ORM lacks, for report GROUP BYs (PostgreSQL)."""

from django.db.models import Aggregate, FloatField, Func


class Percentile(Aggregate):
    """`percentile_cont(p) WITHIN GROUP (ORDER BY expr)`: the interpolated p-quantile of a
    group, computed by PostgreSQL in the same pass as the counts (FILTER works too)."""

    function = "percentile_cont"
    template = "%(function)s(%(percentile)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()
    allow_distinct = False

    def __init__(self, expression, *, percentile: float, **extra):
        if not 0 <= percentile <= 1:
            raise ValueError("A percentile is between 0 and 1.")
        super().__init__(expression, percentile=float(percentile), **extra)


class Seconds(Func):
    """Seconds from `start` to `end` (two timestamps), as a float."""

    template = "EXTRACT(EPOCH FROM (%(expressions)s))"
    arg_joiner = " - "
    output_field = FloatField()

    def __init__(self, end, start, **extra):
        super().__init__(end, start, **extra)
