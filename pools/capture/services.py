"""Capture: the one write path for a lead arriving from outside (API, web form, CSV import).

Dedupe happens here, synchronously, not in the Celery screening task: the caller learns at
once whether its inquiry made a new lead or joined an existing one (the API answers with
that lead's id), and two copies of one person never both reach the router. Scoring and
qualification stay in `pools.screening.services`, which runs in the intake drain after commit.

Races: the identities of an inquiry (idempotency key, external id, e-mail,
phone) are taken as transaction-scoped advisory locks, in sorted order, before anything is
looked up. Twenty simultaneous identical posts therefore queue on the lock; the first
creates, the others then see its committed lead (READ COMMITTED gives each statement a fresh
snapshot). The unique constraints on (source, external_id) and (source, idempotency key)
stay as the backstop.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from leadroute.shared.live import broadcast_on_commit, user_group
from pools.capture import normalise
from pools.lifecycle import CLOSED_STATES, LeadState
from pools.models import IdempotencyKey, Lead, LeadEvent, LeadSource
from pools.services import lead_create, lead_record_event
from pools.signals import leads_waiting_on_commit

CREATED, REPLAYED, MERGED = "created", "replayed", "merged"
# What told a merged inquiry's person apart: the same e-mail, or the same phone.
SAME_EMAIL, SAME_PHONE = "email", "phone"
# Leads in these states are not "open": a new inquiry from the same person starts afresh.
NOT_OPEN_STATES = frozenset({LeadState.REJECTED} | CLOSED_STATES)


@dataclass(frozen=True)
class CaptureResult:
    lead: Lead
    outcome: str  # CREATED, REPLAYED (idempotent retry) or MERGED (dedupe)
    matched_by: str = ""  # for MERGED: SAME_EMAIL or SAME_PHONE

    @property
    def created(self) -> bool:
        return self.outcome == CREATED


def dedupe_window() -> timedelta:
    return timedelta(days=getattr(settings, "DEDUPE_WINDOW_DAYS", 30))


def lead_find_open_duplicate(
    *, email: str, phone: str, name: str = "", team_id: int | None, source_id: int | None = None
) -> Lead | None:
    """The oldest open lead, created within the window, that this inquiry repeats: the
    same e-mail, or the same phone when nothing says it is someone else — a phone is
    shared by a household or a switchboard, so an inquiry naming another person or giving
    another e-mail is a new lead, not a repeat.

    Only leads that came from a source of the team `team_id` (another team's inquiries are
    not its business; the lead's own team may since have changed with its routing), and
    with `source_id`, only that source's (see lead_capture's `merge_within_source`)."""
    match = [(column, value) for column, value in (("email", email), ("phone", phone)) if value]
    if not match:
        return None
    # Written out: every capture runs this lookup and nearly always finds nothing, and the
    # ORM (even `.raw()`) spent several times more CPU building the query and its result
    # than the database spends answering it (bench/intake.py). The e-mail and phone
    # indexes serve the OR.
    closed = sorted(NOT_OPEN_STATES)
    since = connection.ops.adapt_datetimefield_value(timezone.now() - dedupe_window())
    if source_id is not None:
        scope, scope_params = "source_id = %s", [source_id]
    else:
        # A lead made by hand has no source: its own team stands in.
        scope = (
            f"(source_id IN (SELECT id FROM {LeadSource._meta.db_table} "
            "WHERE team_id IS NOT DISTINCT FROM %s) "
            "OR (source_id IS NULL AND team_id IS NOT DISTINCT FROM %s))"
        )
        scope_params = [team_id, team_id]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, email, first_name, last_name FROM {Lead._meta.db_table} "
            f"WHERE ({' OR '.join(f'{column} = %s' for column, _ in match)}) "
            "AND NOT is_test "
            f"AND created_at >= %s AND status NOT IN ({', '.join(['%s'] * len(closed))}) "
            f"AND {scope} ORDER BY created_at, id LIMIT 20",
            [*(value for _, value in match), since, *closed, *scope_params],
        )
        rows = cursor.fetchall()
    same_email = [row for row in rows if email and row[1] == email]
    same_person = [
        row
        for row in rows
        if not (email and row[1] and row[1] != email)
        and not (name and _name_key(row[2], row[3]) and _name_key(row[2], row[3]) != name)
    ]
    chosen = (same_email or same_person or [None])[0]
    return None if chosen is None else Lead.objects.filter(pk=chosen[0]).first()


def _name_key(*parts: str) -> str:
    """A person's name for comparing: case, accents' case and spacing aside."""
    return " ".join(" ".join(parts).split()).casefold()


def external_id_key(external_id: str) -> str:
    """The remembered key under which a merged inquiry's external id points at the lead it
    joined (that lead keeps its own external id)."""
    return "external_id:" + external_id


def _lock_identities(keys: list[str]) -> None:
    if not keys:
        return
    with connection.cursor() as cursor:
        # Sorted, and unnest keeps array order: every request takes its locks in the same
        # order, so two requests sharing two identities cannot deadlock.
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest(%s::text[]) k",
            [sorted(set(keys))],
        )


def _find_replay(*, source: LeadSource, external_id: str, idempotency_key: str) -> Lead | None:
    """The lead an earlier post made: by a remembered key (the idempotency key, or the
    external id of an inquiry that was merged), else by external id. One written-out
    query, like the dedupe lookup: it runs on every post that carries either."""
    keys = [k for k in (idempotency_key, external_id and external_id_key(external_id)) if k]
    selects, params = [], []
    if keys:
        selects.append(
            f"SELECT lead_id, 0 AS pick, id AS row_id FROM {IdempotencyKey._meta.db_table} "
            f"WHERE source_id = %s AND {connection.ops.quote_name('key')} "
            f"IN ({', '.join(['%s'] * len(keys))})"
        )
        params += [source.pk, *keys]
    if external_id:
        selects.append(
            f"SELECT id AS lead_id, 1 AS pick, id AS row_id FROM {Lead._meta.db_table} "
            "WHERE source_id = %s AND external_id = %s"
        )
        params += [source.pk, external_id]
    if not selects:
        return None
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects) + " ORDER BY pick, row_id LIMIT 1", params)
        row = cursor.fetchone()
    return None if row is None else Lead.objects.filter(pk=row[0]).first()


def _remember(*, source: LeadSource, lead: Lead, keys: list[str]) -> None:
    if keys:
        # ignore_conflicts: a key already remembered keeps pointing at its first lead.
        IdempotencyKey.objects.bulk_create(
            [IdempotencyKey(source=source, key=key, lead=lead) for key in keys],
            ignore_conflicts=True,
        )


def _notify_owner(lead: Lead) -> None:
    if lead.owner_id is None:
        return
    text = html.escape(f"{lead.display_name} got in touch again.")
    broadcast_on_commit(
        user_group(lead.owner_id),
        html=f'<div id="toasts" hx-swap-oob="beforeend"><div class="flash">{text}</div></div>',
    )


def lead_capture(
    *,
    source: LeadSource,
    fields: dict,
    attributes: dict | None = None,
    idempotency_key: str = "",
    channel: str = "api",
    actor=None,
    hand_off: bool = True,
    prechecked: bool = False,
    review_reason: str = "",
    merge_within_source: bool = False,
    is_test: bool = False,
) -> CaptureResult:
    """Create a lead from clean `fields` (see `pools.capture.normalise`), or return the lead this
    inquiry repeats (same idempotency key or external id) or joins (open duplicate).

    A created lead is handed to screening and routing on commit (an intake kick: a drain
    of the waiting leads is published unless one is already pending), unless `hand_off`
    is False: then the caller must hand it off itself (the CSV import sends one task per
    chunk of leads, naming them).

    `prechecked` says the caller has just looked for replays itself (the import does, for
    a whole chunk of rows in two queries): the lookup and the idempotency locks are
    skipped, and the unique constraints settle a race with another writer.

    `review_reason` (why the inquiry looks automated, say) holds a created lead for a
    manager's review: routing puts it in the skim queue. A repeat inquiry notes it.

    An inquiry joins an open lead of the source's team. With `merge_within_source`, only
    one of the same source: the intake API answers its caller with the lead it joined, so
    a source's key must never learn of (nor add to) another source's leads. The web form
    tells the visitor nothing, and an import's manager sees the team anyway.

    `is_test` marks test data (a Google Ads form's "send test data"): it never joins a real
    lead nor a real lead it (dedupe skips test leads), and screening rejects it, so routing
    never sees it."""
    if fields.get("state"):
        # Here, not at each door: every lead spells a region the same way (its ISO code),
        # read in the lead's country, else its source's (as a phone without + is).
        country = fields.get("country") or source.default_country
        fields = {**fields, "state": normalise.state_normalise(fields["state"], country=country)}
    try:
        return _capture(
            source=source,
            fields=fields,
            attributes=attributes or {},
            idempotency_key=idempotency_key,
            channel=channel,
            actor=actor,
            hand_off=hand_off,
            prechecked=prechecked,
            review_reason=review_reason,
            merge_within_source=merge_within_source,
            is_test=is_test,
        )
    except IntegrityError:
        # Lost a race on a unique constraint: the winner has committed, so replay it.
        lead = _find_replay(
            source=source,
            external_id=fields.get("external_id", ""),
            idempotency_key=idempotency_key,
        )
        if lead is None:
            raise
        return CaptureResult(lead, REPLAYED)


def _capture(
    *,
    source,
    fields,
    attributes,
    idempotency_key,
    channel,
    actor,
    hand_off,
    prechecked,
    review_reason,
    merge_within_source,
    is_test,
) -> CaptureResult:
    email, phone = fields.get("email", ""), fields.get("phone", "")
    external_id = fields.get("external_id", "")
    with transaction.atomic():
        _lock_identities(
            (
                [f"idem:{source.pk}:{idempotency_key}"] * bool(idempotency_key)
                + [f"ext:{source.pk}:{external_id}"] * bool(external_id)
            )
            * (not prechecked)
            + [f"email:{email}"] * bool(email)
            + [f"phone:{phone}"] * bool(phone)
        )
        replay = (
            None
            if prechecked
            else _find_replay(
                source=source, external_id=external_id, idempotency_key=idempotency_key
            )
        )
        if replay is not None:
            if idempotency_key:
                _remember(source=source, lead=replay, keys=[idempotency_key])
            return CaptureResult(replay, REPLAYED)

        remember = [idempotency_key] * bool(idempotency_key)
        existing = (
            None
            if is_test
            else lead_find_open_duplicate(
                email=email,
                phone=phone,
                name=_name_key(fields.get("first_name", ""), fields.get("last_name", "")),
                team_id=source.team_id,
                source_id=source.pk if merge_within_source else None,
            )
        )
        if existing is not None:
            matched_by = SAME_EMAIL if email and existing.email == email else SAME_PHONE
            submitted = {k: v for k, v in fields.items() if v not in ("", None)}
            lead_record_event(
                lead=existing,
                kind=LeadEvent.Kind.INQUIRY,
                actor=actor,
                reason=f"Same {'e-mail' if matched_by == SAME_EMAIL else 'phone'} "
                f"got in touch again via {channel} ({source.name})"
                + (f". {review_reason}" if review_reason else ""),
                data={
                    "source": source.pk,
                    "channel": channel,
                    "fields": {k: str(v) for k, v in submitted.items()},
                    "attributes": attributes,
                    **({"review_reason": review_reason} if review_reason else {}),
                },
            )
            # A re-sent row or retried post must not log the same inquiry twice.
            if external_id:
                remember.append(external_id_key(external_id))
            _remember(source=source, lead=existing, keys=remember)
            _notify_owner(existing)
            return CaptureResult(existing, MERGED, matched_by)

        lead = lead_create(
            actor=actor,
            reason=f"Captured via {channel} ({source.name})"
            + (f". {review_reason}: held for a manager's review" if review_reason else ""),
            review_reason=review_reason,
            source=source,
            team_id=source.team_id,
            attributes=attributes,
            is_test=is_test,
            **fields,
        )
        _remember(source=source, lead=lead, keys=remember)
        if hand_off:
            leads_waiting_on_commit(lead_ids=[lead.pk])
    return CaptureResult(lead, CREATED)
