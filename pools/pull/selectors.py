"""Reads for pools: which pools a rep may use, and one page of a pool's leads.

Blind means blind: for a blind pool the page query never even loads a protected column
(`.only()` on the visible ones), rows carry an opaque token instead of the lead id, and the
pagination cursor is encrypted, so nothing identifying can reach a template by accident.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.roles import Role, has_role
from pools.field_labels import LEAD_FIELD_LABELS
from pools.lifecycle import LeadState
from pools.models import PREVIEWABLE_FIELDS, PROTECTED_FIELDS, Lead, LeadSource, Pool
from pools.pull.claim_functions import POOL_SCOPE

# Shown in blind pools (if the pool's preview_fields name none of them, all of these).
BLIND_FIELDS = ("source", "country", "industry", "company_size", "language")
# Filters a rep may apply — only on fields the pool shows, or a filter would reveal hidden
# values by counting ("company = Acme" → 1 row).
FILTER_FIELDS = ("source", "country", "industry", "company_size")
COMPANY_SIZES = ("1-10", "11-50", "51-200", "201-500", "501-1000", "1000+")
SORTS = {"oldest": "Oldest first", "newest": "Newest first", "score": "Highest score first"}
PAGE_SIZE = 50
# Column headers of the pool table: short, it has little room.
FIELD_LABELS = {
    **LEAD_FIELD_LABELS,
    "title": "Title",
    "state": "State",
    "product_interest": "Product",
    "estimated_value": "Est. value",
    "campaign": "Campaign",
}


def pools_usable_by(*, user) -> QuerySet[Pool]:
    """Active pools in the rep's scope: the pool's team (or no team) and, for a pool tied
    to a territory, only reps covering it. The rule is the claim's own (`POOL_SCOPE`)."""
    if not has_role(user, Role.REP):
        return Pool.objects.none()
    scope = RawSQL(f"SELECT pool_id FROM {POOL_SCOPE.name}(%s) AS pool_id", [user.pk])
    return Pool.objects.filter(pk__in=scope)


def pool_visible_fields(*, pool: Pool) -> tuple[str, ...]:
    configured = [f for f in (pool.preview_fields or []) if f in PREVIEWABLE_FIELDS]
    if pool.mode == Pool.Mode.BLIND:
        shown = [f for f in configured if f in BLIND_FIELDS]
        return tuple(shown or BLIND_FIELDS)
    return tuple(configured or ("company", "industry", "country", "source"))


def pool_filter_fields(*, pool: Pool) -> tuple[str, ...]:
    shown = pool_visible_fields(pool=pool)
    return tuple(f for f in FILTER_FIELDS if f in shown)


@functools.lru_cache(maxsize=4)
def _row_mac(secret: str) -> hmac.HMAC:
    # `salted_hmac("pools.row", …)`'s key, derived once per secret instead of once per row
    # (every row of every page, and every claim's live frame, makes a token).
    return hmac.new(hashlib.sha1(f"pools.row{secret}".encode()).digest(), digestmod="sha1")


def row_token(lead_id: int) -> str:
    """An opaque, stable id for a pool row (DOM ids, live removal) that does not reveal
    the lead id."""
    mac = _row_mac(settings.SECRET_KEY).copy()
    mac.update(str(lead_id).encode())
    return mac.hexdigest()[:20]


def _fernet() -> Fernet:
    key = hashlib.sha256(f"pools.cursor:{settings.SECRET_KEY}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


@dataclass
class PoolQuery:
    source: int | None = None
    country: str = ""
    industry: str = ""
    company_size: str = ""
    min_age_hours: int | None = None
    max_age_hours: int | None = None
    sort: str = "oldest"
    after: str = ""
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_params(cls, params, *, pool: Pool) -> PoolQuery:
        """Parse GET params leniently: a bad value is dropped with a message, never a 500."""
        q = cls(sort=pool.order if pool.order in SORTS else "oldest")
        allowed = pool_filter_fields(pool=pool)
        if "source" in allowed and params.get("source"):
            try:
                q.source = int(params["source"])
            except ValueError:
                q.errors.append("Unknown source; showing all sources.")
        for name in ("country", "industry", "company_size"):
            value = (params.get(name) or "").strip()[:100]
            if value and name in allowed:
                setattr(q, name, value.upper() if name == "country" else value)
        for name in ("min_age_hours", "max_age_hours"):
            raw = (params.get(name) or "").strip()
            if raw:
                try:
                    value = int(raw)
                    if not 0 <= value <= 24 * 365:
                        raise ValueError
                    setattr(q, name, value)
                except ValueError:
                    q.errors.append("Age in pool must be a whole number of hours.")
        if params.get("sort") in SORTS:
            q.sort = params["sort"]
        q.after = (params.get("after") or "")[:500]
        return q

    def as_params(self) -> dict:
        params = {"sort": self.sort}
        for name in (
            "source",
            "country",
            "industry",
            "company_size",
            "min_age_hours",
            "max_age_hours",
        ):
            value = getattr(self, name)
            if value not in (None, ""):
                params[name] = value
        return params


@dataclass
class PoolRow:
    token: str
    lead_id: int | None  # None in blind pools: the page never needs it
    pooled_at: datetime
    cells: list[tuple[str, str]]
    age: str = ""


@dataclass
class PoolPage:
    rows: list[PoolRow]
    next_cursor: str | None
    errors: list[str]


def _keyset(sort: str, values: list) -> Q:
    pooled_at, lead_id, score = datetime.fromisoformat(values[0]), values[1], values[2]
    if sort == "newest":
        return Q(pooled_at__lt=pooled_at) | Q(pooled_at=pooled_at, id__lt=lead_id)
    after_same_time = Q(pooled_at__gt=pooled_at) | Q(pooled_at=pooled_at, id__gt=lead_id)
    if sort == "score":
        return Q(score__lt=score) | (Q(score=score) & after_same_time)
    return after_same_time


ORDERINGS = {
    "oldest": ("pooled_at", "id"),
    "newest": ("-pooled_at", "-id"),
    "score": ("-score", "pooled_at", "id"),
}


def pool_leads(*, pool: Pool) -> QuerySet[Lead]:
    return Lead.objects.filter(pool=pool, status=LeadState.POOLED)


def pool_page(
    *, pool: Pool, query: PoolQuery, now: datetime | None = None, limit: int = PAGE_SIZE
) -> PoolPage:
    """One page of the pool, keyset-paginated: one query whatever the page or pool size."""
    now = now or timezone.now()
    errors = list(query.errors)
    fields = pool_visible_fields(pool=pool)
    leads = pool_leads(pool=pool)
    if query.source:
        leads = leads.filter(source_id=query.source)
    # Exact matches (country is upper-cased on input): PostgreSQL's column statistics then
    # apply, and it walks the pool-order index; UPPER(col) = … made it guess one row and
    # seq-scan the pool (80 ms at 100k leads).
    for name in ("country", "industry", "company_size"):
        if getattr(query, name):
            leads = leads.filter(**{name: getattr(query, name)})
    if query.min_age_hours is not None:
        leads = leads.filter(pooled_at__lte=now - timedelta(hours=query.min_age_hours))
    if query.max_age_hours is not None:
        leads = leads.filter(pooled_at__gte=now - timedelta(hours=query.max_age_hours))
    if query.after:
        try:
            values = json.loads(_fernet().decrypt(query.after.encode(), ttl=24 * 3600))
            leads = leads.filter(_keyset(query.sort, values))
        except (InvalidToken, ValueError, TypeError, IndexError):
            errors.append("That page link has expired; showing the first page.")
    columns = [f for f in fields if f != "source"] + ["id", "pooled_at", "score"]
    leads = leads.only(*columns)
    if "source" in fields:
        leads = leads.select_related("source").only(*columns, "source__name")
    page = list(leads.order_by(*ORDERINGS[query.sort])[: limit + 1])
    more, page = len(page) > limit, page[:limit]
    blind = pool.mode == Pool.Mode.BLIND
    assert not (blind and set(fields) & set(PROTECTED_FIELDS)), "blind pool shows a protected field"
    rows = [
        PoolRow(
            token=row_token(lead.pk),
            lead_id=None if blind else lead.pk,
            pooled_at=lead.pooled_at,
            age=age_label(lead.pooled_at, now),
            cells=[(FIELD_LABELS[f], _cell(lead, f)) for f in fields],
        )
        for lead in page
    ]
    next_cursor = None
    if more and page:
        last = page[-1]
        payload = json.dumps([last.pooled_at.isoformat(), last.pk, last.score])
        next_cursor = _fernet().encrypt(payload.encode()).decode()
    return PoolPage(rows=rows, next_cursor=next_cursor, errors=errors)


def age_label(since: datetime | None, now: datetime) -> str:
    """Time in pool, short enough for a phone column: "4 min", "3 h", "2 d"."""
    if since is None:
        return ""
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // 1440} d"


def _cell(lead: Lead, name: str) -> str:
    if name == "source":
        return lead.source.name if lead.source_id else ""
    value = getattr(lead, name)
    return "" if value is None else str(value)


def pool_sources(*, pool: Pool) -> QuerySet[LeadSource]:
    """Sources for the filter menu: the small LeadSource table, not a DISTINCT over leads."""
    return LeadSource.objects.filter(is_active=True).only("id", "name")
