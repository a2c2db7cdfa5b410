"""A rep's own day, week and month (accounts.periods), the one helper caps count by."""

from datetime import UTC, date, datetime

import pytest

from accounts.periods import local_day_index, local_periods, periods_anywhere

# Sunday 1 March, 02:00 UTC: still Saturday 28 February in São Paulo (UTC−3).
NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def test_a_reps_day_week_and_month_are_those_of_their_time_zone():
    assert local_periods(now=NOW, zone="America/Sao_Paulo") == (
        date(2026, 2, 28),
        date(2026, 2, 23),
        date(2026, 2, 1),
    )
    assert local_periods(now=NOW, zone="Asia/Tokyo") == (
        date(2026, 3, 1),
        date(2026, 2, 23),
        date(2026, 3, 1),
    )


@pytest.mark.parametrize(
    "zone", ["Pacific/Pago_Pago", "America/Sao_Paulo", "UTC", "Pacific/Kiritimati"]
)
def test_the_sql_side_picks_the_same_periods_for_every_zone(zone):
    assert periods_anywhere(NOW)[local_day_index(NOW, zone)] == local_periods(now=NOW, zone=zone)
