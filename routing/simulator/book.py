"""The virtual book a replay routes against: the engine's own RepBook, seeded at the
period's start and advanced in memory lead by lead — never locked, never written.

The real RepBook reads the reps' counts now, under locks, and its batch writes what moved.
This one reads the same facts once (RepBook.load, no locks), then replaces what history
changes: caps count per rep per local day (RepIntake of the days before the period, then
the replay's own leads), open and untouched leads (those owned at the start, then the
replay's, each touched and closed when the real lead was), out of office from its recorded
periods, working hours at each lead's moment, rotation pointers as they stood at the start
(the first recorded decision from then on says what it read). The Router, the strategies
and eligibility run unchanged over it.
"""

from __future__ import annotations

import heapq
import itertools
import json
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Max, Q, Sum

from accounts.models import OutOfOffice, RepProfile
from accounts.periods import periods_of
from pools.lifecycle import CLOSED_STATES, OPEN_OWNED_STATES, LeadState
from pools.models import Lead

from ..engine.book import RepBook, is_stateful
from ..engine.router import Batch
from ..models import RepIntake, RoutingDecision, RoutingRule, RuleRotation
from ..strategies import LeadSnapshot

# What a replay takes from history and what from today's settings (shown with results).
ASSUMPTIONS = (
    "Caps count the leads the rep really received on earlier days of the week and month "
    "(RepIntake), then the leads this replay gives them; leads really received on the "
    "period's first day before its start are not counted.",
    "Open and untouched leads: those the rep owned at the start, then the replay's own; "
    "each lead stays untouched until it was really first touched and open until it was "
    "really closed, whoever gets it here.",
    "Out of office: the recorded periods. Working hours, availability, caps, weights, "
    "skills, territories and teams: today's settings.",
    "Rotation pointers: as they stood at the start (the first recorded decision since then "
    "says what it read); a draft's copied rule starts where its live original stood.",
    "Conversion rates (top performer) and lead quotas (quota fill): read at the start.",
    "Live offers: every eligible rep counts as online; who would accept is not predicted.",
    "Only arrivals are replayed: escalations and offer fallbacks are not.",
)


@dataclass
class VirtualBook(RepBook):
    zones: dict[int, str] = field(default_factory=dict)
    hours: dict[int, str] = field(default_factory=dict)  # user id -> working hours (JSON)
    intake: dict = field(default_factory=lambda: defaultdict(int))  # (user, day) -> leads
    away: dict[int, list[tuple[datetime, datetime]]] = field(default_factory=dict)
    # (moment, seq, user id, what): an open lead's touch or close, when it really happened
    pending: list = field(default_factory=list)
    placing: Lead | None = None  # the lead being placed (its real touch and close times)
    _seq: itertools.count = field(default_factory=itertools.count)

    @classmethod
    def seed(
        cls, *, rules: list[RoutingRule], territory_ids: list[int], start: datetime
    ) -> VirtualBook:
        """The book at `start` for the reps of `rules` (rules that pick reps)."""
        everywhere = LeadSnapshot(id=None, fields={}, territories=dict.fromkeys(territory_ids, 1))
        real = RepBook.load(rules=rules, leads=[everywhere], now=start, lock=False)
        book = cls(
            now=start,
            rows=real.rows,
            rosters=real.rosters,
            rotations=rotations_at(rules=rules, start=start),
            previous={},  # every replayed lead arrives: nobody owned it before
            territorial=real.territorial,
            performance=real.performance,
        )
        reps = sorted(book.rows)
        for user_id, zone, hours in RepProfile.objects.filter(user_id__in=reps).values_list(
            "user_id", "time_zone", "working_hours"
        ):
            book.zones[user_id], book.hours[user_id] = zone, json.dumps(hours, sort_keys=True)
        book._seed_intake(start)
        book._seed_open(start)
        for user_id, starts, ends in OutOfOffice.objects.filter(
            profile__user_id__in=reps, ends_at__gt=start
        ).values_list("profile__user_id", "starts_at", "ends_at"):
            book.away.setdefault(user_id, []).append((starts, ends))
        for row in book.rows.values():
            row.day = None  # advance() reads every rep's counts for its first lead
        return book

    def _seed_intake(self, start: datetime) -> None:
        first_days = {u: self._local_day(u, start) for u in self.rows}
        earliest = min((periods_of(d).month for d in first_days.values()), default=start.date())
        earliest = min(earliest, *(periods_of(d).week for d in first_days.values()))
        rows = (
            RepIntake.objects.filter(user_id__in=list(self.rows), day__gte=earliest)
            .values("user_id", "day")
            .annotate(n=Sum("count"), last=Max("last_at"))
        )
        for r in rows:
            if r["day"] < first_days[r["user_id"]]:
                self.intake[r["user_id"], r["day"]] += r["n"]
                row = self.rows[r["user_id"]]
                if r["last"] and (row.last_assigned_at is None or r["last"] > row.last_assigned_at):
                    row.last_assigned_at = r["last"]
        for row in self.rows.values():  # the real value read now may be a later lead's
            if row.last_assigned_at and row.last_assigned_at >= start:
                row.last_assigned_at = None

    def _seed_open(self, start: datetime) -> None:
        for row in self.rows.values():
            row.open_leads = row.untouched = 0
        owned = Lead.objects.filter(owner_id__in=list(self.rows), created_at__lt=start).filter(
            Q(status__in=OPEN_OWNED_STATES) | Q(status__in=CLOSED_STATES, closed_at__gt=start)
        )
        for owner_id, status, touched, closed in owned.values_list(
            "owner_id", "status", "first_touch_at", "closed_at"
        ):
            row = self.rows[owner_id]
            row.open_leads += 1
            if closed:
                self._later(closed, owner_id, "close")
            if status == LeadState.ASSIGNED and touched is None:
                row.untouched += 1
            elif touched and touched > start:
                row.untouched += 1
                self._later(touched, owner_id, "touch")

    def _later(self, at: datetime, user_id: int, what: str) -> None:
        heapq.heappush(self.pending, (at, next(self._seq), user_id, what))

    def _local_day(self, user_id: int, at: datetime) -> date:
        return at.astimezone(zoneinfo.ZoneInfo(self.zones.get(user_id, "UTC"))).date()

    def advance(self, now: datetime) -> None:
        """Move the book to `now`: touches and closes due, each rep's day, hours, absence."""
        self.now = now
        while self.pending and self.pending[0][0] <= now:
            _, _, user_id, what = heapq.heappop(self.pending)
            row = self.rows[user_id]
            if what == "close":
                row.open_leads = max(row.open_leads - 1, 0)
            else:
                row.untouched = max(row.untouched - 1, 0)
        days, at_work = {}, {}
        for user_id, row in self.rows.items():
            zone = self.zones.get(user_id, "UTC")
            if zone not in days:
                days[zone] = now.astimezone(zoneinfo.ZoneInfo(zone)).date()
            day = days[zone]
            if day != row.day:  # a new local day: its counts (rare: once a day per rep)
                row.day = day
                row.today, row.week, row.month = self._counts(user_id, day)
            key = (zone, self.hours.get(user_id, "{}"))
            if key not in at_work:
                at_work[key] = RepProfile(
                    time_zone=zone, working_hours=json.loads(key[1])
                ).works_at(now)
            row.at_work = at_work[key]
            row.out_of_office = any(s <= now < e for s, e in self.away.get(user_id, ()))

    def _counts(self, user_id: int, day: date) -> tuple[int, int, int]:
        periods = periods_of(day)
        return (
            self.intake.get((user_id, day), 0),
            _through(self.intake, user_id, periods.week, day),
            _through(self.intake, user_id, periods.month, day),
        )

    def count(self, user_id: int) -> None:
        """One more lead for the rep, counted on their day, touched and closed when the
        real lead was."""
        super().count(user_id)
        row = self.rows[user_id]
        self.intake[user_id, row.day] += 1
        lead = self.placing
        if lead is not None:
            if lead.closed_at:
                self._later(lead.closed_at, user_id, "close")
            touched = lead.first_touch_at or lead.closed_at
            if touched:
                self._later(touched, user_id, "touch")


def _through(intake: dict, user_id: int, first: date, last: date) -> int:
    return sum(
        intake.get((user_id, first + timedelta(d)), 0) for d in range((last - first).days + 1)
    )


def rotations_at(*, rules: list[RoutingRule], start: datetime) -> dict[int, dict]:
    """Each stateful rule's method state as it stood at `start`: what the first decision
    from then on that went through it — or through the live rule it was copied from, with
    the same method — read (nothing moved it in between), else its state now. One query
    per stateful rule."""
    states = {}
    for rule in rules:
        if not is_stateful(rule):
            continue
        ids = [rule.pk] + ([rule.copied_from_id] if rule.copied_from_id else [])
        method = rule.offer_method if rule.action == RoutingRule.Action.OFFER else rule.method
        through = Q()
        for rule_id in ids:
            through |= Q(details__steps__contains=[{"rule": rule_id}])
        first = (
            RoutingDecision.objects.filter(through, created_at__gte=start)
            .order_by("created_at", "id")
            .values_list("details", flat=True)
            .first()
        )
        state = None
        for step in (first or {}).get("steps", []):
            if step.get("rule") in ids and "state_before" in step:
                state = step["state_before"] if step.get("method") == method else {}
                break
        if state is None:  # nothing routed by it since: its state now (a copy: the original's)
            now = RuleRotation.objects.filter(rule_id__in=ids).values_list(
                "rule_id", "state", "rule__method", "rule__offer_method", "rule__action"
            )
            by_rule = {
                r[0]: r[1]
                for r in now
                if (r[3] if r[4] == RoutingRule.Action.OFFER else r[2]) == method
            }
            state = by_rule.get(rule.pk) or by_rule.get(rule.copied_from_id) or {}
        states[rule.pk] = state
    return states


class ReplayBatch(Batch):
    """A batch whose time moves lead by lead and whose offers reach every eligible rep
    (who was online is not recorded)."""

    def online(self) -> frozenset[int]:
        return frozenset(self.book.rows) if self.book else frozenset()
