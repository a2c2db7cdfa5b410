"""Live pool updates: redacted fragments for every rep watching a pool.

A pool group reaches every rep allowed to look at the pool, so frames carry no lead data:
a claimed lead's row is removed by its opaque token, and an arrival only tells the page to
re-fetch its table (each rep then gets their own, server-authorised and redacted view).
"""

from functools import partial

from django.urls import reverse
from django.utils.html import format_html

from leadroute.live import broadcast_later_on_commit, broadcast_on_commit, pool_group

# At import, not inside _left_row: that runs in the publisher's thread, and a first import
# there raced the main thread (or a fork) into "partially initialized module" errors —
# seen in a bench worker forked while its parent's publisher was importing.
from .pool_selectors import row_token


def pool_lead_left(*, pool_id: int, lead_id: int) -> None:
    # Made in the publisher's thread: a claim (fifty at once, at 9 am) only queues it.
    broadcast_later_on_commit(partial(_left_row, pool_id, lead_id))


def _left_row(pool_id: int, lead_id: int) -> list[tuple[str, str]]:
    # The token is hex: nothing to escape.
    return [(pool_group(pool_id), f'<tr id="pl-{row_token(lead_id)}" hx-swap-oob="delete"></tr>')]


def pool_lead_arrived(*, pool_id: int) -> None:
    # Replaced, not appended: a burst of arrivals collapses into one re-fetch per page.
    html = format_html(
        '<div id="pool-sync" hx-swap-oob="true" hx-get="{}" hx-include="#pool-filters, #pool-page" '
        'hx-target="#pool-table" hx-swap="outerHTML" hx-trigger="load delay:200ms"></div>',
        reverse("pools:pool", args=[pool_id]),
    )
    broadcast_on_commit(pool_group(pool_id), html=html)
