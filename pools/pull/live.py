"""Live pool updates: redacted fragments for every rep watching a pool.

A pool group reaches every rep allowed to look at the pool, so frames carry no lead data:
a claimed lead's row is removed by its opaque token, and an arrival only tells the page to
re-fetch its table (each rep then gets their own, server-authorised and redacted view).
"""

from django.urls import reverse
from django.utils.html import format_html

from leadroute.shared.live import broadcast_on_commit, live_replace, pool_group
from pools.pull.selectors import row_token


def pool_lead_left(*, pool_id: int, lead_id: int) -> None:
    html = live_replace(f"pl-{row_token(pool_id=pool_id, lead_id=lead_id)}")
    broadcast_on_commit(pool_group(pool_id), html=html)


def pool_lead_arrived(*, pool_id: int) -> None:
    # Replaced, not appended: a burst of arrivals collapses into one re-fetch per page.
    # data-live-sync: a re-fetch no person asked for leaves the claim message alone (app.js).
    html = format_html(
        '<div id="pool-sync" hx-swap-oob="true" hx-get="{}" hx-include="#pool-filters, #pool-page" '
        'hx-target="#pool-table" hx-swap="outerHTML" hx-trigger="load delay:200ms" data-live-sync>'
        "</div>",
        reverse("pools:pool", args=[pool_id]),
    )
    broadcast_on_commit(pool_group(pool_id), html=html)
