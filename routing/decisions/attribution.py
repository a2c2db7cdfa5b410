"""What a routing decision leaves on the lead for reports: its rule, its method and, when
it gives the lead an owner, how (push, live offer, manager desk; a pool claim sets its own
in the claim function). Every writer of a decision passes these columns with the move, in
the same UPDATE, so reports read them from the lead instead of its latest decision."""

from __future__ import annotations

from pools.models import Lead

MANUAL = "manual"  # the method of a manager's move (routing.desk)


def lead_attribution(*, rule_id: int | None, method: str, via: str = "") -> dict:
    """`extra` columns for `lead_transition` / `Move`; `via` (Lead.Via) when the move gives
    the lead an owner."""
    columns = {"routed_rule": rule_id, "routed_method": method}
    if via:
        columns["assigned_via"] = Lead.Via(via).value
    return columns
