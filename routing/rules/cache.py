"""The active rules, read once per change instead of once per lead.

Every lead asks one cheap question — have the rules changed? (count, newest edit and
highest id of the rules table and the live set's id, read in the same round trip as the
territories, see routing.engine.facts.lead_context) — and reloads them only when the
answer differs. An edit in the admin, or a promotion, therefore applies to the very next
lead in every process, with no restart and no cache to invalidate by hand. Cached rules
carry ids, not related objects: pools and teams are read when used, so their own edits
are never stale.
"""

from __future__ import annotations

import threading

from django.db import connection

from ..models import RoutingRule

_lock = threading.Lock()
_cached: tuple[tuple | None, list[RoutingRule]] = (None, [])


def active_rules(*, version: tuple) -> list[RoutingRule]:
    """The live set's active rules in priority order — the only rules the engine routes
    by. Treat the instances as read-only: they are shared."""
    global _cached
    version = (*version, connection.settings_dict["NAME"])
    cached_version, rules = _cached
    if version != cached_version:
        rules = list(RoutingRule.objects.live().routing_order())
        with _lock:
            _cached = (version, rules)
    return rules
