"""Why a claim did not happen, and the one place its message is written.

The claim functions (`pools.pull.claim_functions`) decide *which* restriction blocks; `refusal`
turns that verdict into the exception and the text the rep sees. Messages never name the
lead: in a blind pool that alone would leak it.
"""

from __future__ import annotations

from datetime import datetime, time

from django.utils import timezone


class ClaimError(Exception):
    """A claim that did not happen, with a message fit to show the rep as is."""

    code = "refused"
    status = 403

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


class LeadTaken(ClaimError):
    code, status = "taken", 409

    def __init__(
        self, message: str = "Just taken by someone else — no harm done, pick another one."
    ):
        super().__init__(message)


class PoolEmpty(ClaimError):
    code, status = "empty", 409


class PoolUnavailable(ClaimError):
    code, status = "pool", 404


class ClaimRestricted(ClaimError):
    """A pull restriction blocks the claim; `code` says which."""

    status = 403

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(message)


BUSY = "The pool is very busy right now; please try again."


def refusal(
    reason: str,
    *,
    cap: int | None = None,
    count: int | None = None,
    hours: int | None = None,
    until: datetime | None = None,
    start: time | None = None,
    end: time | None = None,
    weekdays_only: bool = False,
) -> ClaimError:
    """The exception for a blocked claim. `reason` is the claim function's verdict: one of
    the keys below; the keyword arguments carry the figures its message quotes."""
    if reason == "not_rep":
        return ClaimError("Only reps can claim leads.")
    if reason == "no_profile":
        return PoolUnavailable("You need a rep profile to claim leads; ask your manager.")
    if reason == "pool":
        # Out of scope and missing read the same: the pool's existence is not the rep's
        # business.
        return PoolUnavailable("This pool is not available to you (team or territory scope).")
    if reason == "taken":
        return LeadTaken()
    if reason == "blind":
        return ClaimRestricted("blind", "This is a blind pool: use “Claim next”.")
    if reason in ("day_cap", "week_cap"):
        label = "today" if reason == "day_cap" else "this week"
        return ClaimRestricted("claim_cap", f"You have reached your limit of {cap} claims {label}.")
    if reason == "untouched":
        return ClaimRestricted(
            "untouched",
            f"You have {count} untouched leads (limit {cap}). Make first contact "
            "with them before claiming more.",
        )
    if reason == "update_first":
        return ClaimRestricted(
            "update_first",
            f"Update your leads first: {count} of your leads assigned more than "
            f"{hours} h ago still have no disposition.",
        )
    if reason == "source":
        return ClaimRestricted("source", "Leads from this source are reserved for other reps.")
    if reason == "cooldown":
        when = f"from {timezone.localtime(until):%a %d %b, %H:%M} " if until is not None else ""
        return ClaimRestricted(
            "cooldown",
            f"You worked this lead before; you can claim it again {when}"
            f"({hours} h after it came back to the pool).",
        )
    if reason == "calling_hours":
        days = " on weekdays" if weekdays_only else ""
        return ClaimRestricted(
            "calling_hours",
            f"Outside calling hours: this pool's leads may be claimed between "
            f"{start:%H:%M} and {end:%H:%M}{days} in the lead's local time.",
        )
    if reason == "none_eligible":
        return PoolEmpty(
            "No lead in this pool you may claim right now (calling "
            "hours, reserved sources or your recent leads)."
        )
    if reason == "no_match":
        return PoolEmpty(
            "No lead you may claim matches these filters. Clear or widen them to take the "
            "next lead in the pool."
        )
    if reason == "empty":
        return PoolEmpty("The pool is empty — nothing to claim right now.")
    raise ValueError(f"Unknown claim refusal {reason!r}")
