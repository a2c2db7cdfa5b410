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
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from time import monotonic

import pycountry
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.roles import Role, has_role
from accounts.selectors import teams_managed_by
from pools.capture.normalise import chars_clean
from pools.field_labels import LEAD_FIELD_LABELS, value_label
from pools.lifecycle import LeadState
from pools.models import PREVIEWABLE_FIELDS, PROTECTED_FIELDS, Lead, LeadSource, Pool
from pools.pull.claim_functions import FILTER_NAMES, POOL_SCOPE, lead_filter_sql
from pools.screening.conditions import number

# Shown in blind pools (if the pool's preview_fields name none of them, all of these).
BLIND_FIELDS = ("source", "country", "industry", "company_size", "language")
# Filters a rep may apply — only on fields the pool shows, or a filter would reveal hidden
# values by counting ("company = Acme" → 1 row).
FILTER_FIELDS = ("source", "country", "industry", "company_size")
SORTS = {"oldest": "Oldest first", "newest": "Newest first", "score": "Highest score first"}
PAGE_SIZE = 50
SCORE_LABEL = "Score"
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


def pools_managed_by(*, user) -> QuerySet[Pool]:
    """Active pools a manager answers for: their teams' and the team-less ones (every
    pool for an admin). They open them read-only and send or return leads to them."""
    if has_role(user, Role.ADMIN):
        return Pool.objects.filter(is_active=True)
    if not has_role(user, Role.MANAGER):
        return Pool.objects.none()
    return Pool.objects.filter(
        Q(team__in=teams_managed_by(user=user)) | Q(team__isnull=True), is_active=True
    )


def pools_viewable_by(*, user) -> QuerySet[Pool]:
    """The pools whose page (and live frames) `user` may open: a rep's usable ones, a
    manager's managed ones (read-only)."""
    return Pool.objects.filter(
        Q(pk__in=pools_usable_by(user=user).values("pk"))
        | Q(pk__in=pools_managed_by(user=user).values("pk"))
    )


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


def row_token(*, pool_id: int, lead_id: int) -> str:
    """An opaque, stable id for a pool row (DOM ids, live removal) that does not reveal
    the lead id. Per pool: a token another pool's answer carries (a "just taken" for a
    lead id named in a preview pool) never matches a row of a blind pool's page."""
    mac = _row_mac(settings.SECRET_KEY).copy()
    mac.update(f"{pool_id}:{lead_id}".encode())
    return mac.hexdigest()[:20]


def _fernet() -> Fernet:
    key = hashlib.sha256(f"pools.cursor:{settings.SECRET_KEY}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def _industry_pattern(text: str) -> str | None:
    """What a rep typed for industry as a pattern (the claim functions' `~*`, so any case)
    that finds its words at the start of the industry's words, whatever separates them:
    "health", "Pet", "car accessories" find health_beauty, pet, car_accessories (the codes
    and their labels alike), "pet" not "carpet". The words are letters and digits only, so
    nothing in them is special to a regular expression."""
    words = re.findall(r"[^\W_]+", text)
    if not words:
        return None
    return r"(^|[^[:alnum:]])" + r"[^[:alnum:]]+".join(words)


def _country_code(text: str) -> str | None:
    """A country as its ISO code, from the code or the name in any case ("br", "Brazil")."""
    if len(text) == 2 and text.isalpha():
        return text.upper()
    try:
        return pycountry.countries.lookup(text).alpha_2
    except LookupError:
        return None


FILTER_PARAMS = ("source", "country", "industry", "company_size", "min_age_hours", "max_age_hours")


@dataclass
class PoolFilters:
    """A rep's filters on a pool, parsed once for the pool page and Claim next: both apply
    them through the claim functions' one SQL condition (`LEAD_FILTERS`)."""

    source: int | None = None
    country: str = ""
    industry: str = ""
    company_size: str = ""
    min_age_hours: int | None = None
    max_age_hours: int | None = None
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_params(cls, params, *, pool: Pool, **extra):
        """Parse GET/POST params leniently: a bad value is dropped with a message, never a
        500. Only the fields the pool shows may filter (`pool_filter_fields`), so a blind
        pool's filters can never select by what it hides."""
        f = cls(**extra)
        allowed = pool_filter_fields(pool=pool)
        if "source" in allowed and params.get("source"):
            try:
                f.source = int(params["source"])
                if not 0 < f.source < 2**63:
                    raise ValueError
            except ValueError:
                f.source = None
                f.errors.append("Unknown source.")
        for name in ("country", "industry", "company_size"):
            # Control characters (a NUL) are no filter value, and PostgreSQL refuses them.
            value = " ".join(chars_clean(str(params.get(name) or "")).split())[:100]
            if value and name in allowed:
                setattr(f, name, value)
        if f.country:
            code = _country_code(f.country)
            if code is None:
                f.errors.append(f"No country is called “{f.country}”.")
            f.country = code or ""
        if f.industry and _industry_pattern(f.industry) is None:
            f.industry = ""
        for name in ("min_age_hours", "max_age_hours"):
            raw = str(params.get(name) or "").strip()
            if raw:
                try:
                    value = int(raw)
                    if not 0 <= value <= 24 * 365:
                        raise ValueError
                    setattr(f, name, value)
                except ValueError:
                    f.errors.append("Age in pool must be a whole number of hours.")
        return f

    def sql_values(self, now: datetime) -> dict:
        """The filters given, as the values `LEAD_FILTERS` compares (by name)."""
        values = {
            "source": self.source,
            "country": self.country or None,
            "industry": _industry_pattern(self.industry),
            "company_size": self.company_size or None,
            "pooled_until": None
            if self.min_age_hours is None
            else now - timedelta(hours=self.min_age_hours),
            "pooled_since": None
            if self.max_age_hours is None
            else now - timedelta(hours=self.max_age_hours),
        }
        return {name: values[name] for name in FILTER_NAMES if values[name] is not None}

    @property
    def any(self) -> bool:
        return bool(self.sql_values(timezone.now()))

    def as_params(self) -> dict:
        values = {name: getattr(self, name) for name in FILTER_PARAMS}
        return {name: value for name, value in values.items() if value not in (None, "")}


@dataclass
class PoolQuery(PoolFilters):
    """The pool page's request: the filters, the order of the list and the page."""

    sort: str = "oldest"
    after: str = ""

    @classmethod
    def from_params(cls, params, *, pool: Pool) -> PoolQuery:
        sort = pool.order if pool.order in SORTS else "oldest"
        q = super().from_params(params, pool=pool, sort=sort)
        if params.get("sort") in SORTS:
            q.sort = params["sort"]
        q.after = (params.get("after") or "")[:500]
        return q

    def as_params(self) -> dict:
        return {"sort": self.sort, **super().as_params()}


@dataclass
class PoolRow:
    token: str
    lead_id: int | None  # None in blind pools: the page never needs it
    pooled_at: datetime
    cells: list[tuple[str, str]]
    age: str = ""


@dataclass
class PoolPage:
    columns: list[str]  # the headers of the rows' cells
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
    errors = [f"{e} That filter is left out." for e in query.errors]
    fields = pool_visible_fields(pool=pool)
    leads = pool_leads(pool=pool)
    if filters := query.sql_values(now):
        # Claim next's own condition, on the lead's plain columns: PostgreSQL's column
        # statistics apply and it walks the pool-order index (UPPER(col) = … made it guess
        # one row and seq-scan the pool, 80 ms at 100k leads).
        table = connection.ops.quote_name(Lead._meta.db_table)
        condition = RawSQL(
            lead_filter_sql(table, filters), list(filters.values()), output_field=BooleanField()
        )
        leads = leads.filter(condition)
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
    # Sorted by score, the score shows (not identifying, so blind pools show it too):
    # rows in an order nothing on screen explains looked shuffled.
    by_score = query.sort == "score"
    rows = [
        PoolRow(
            token=row_token(pool_id=pool.pk, lead_id=lead.pk),
            lead_id=None if blind else lead.pk,
            pooled_at=lead.pooled_at,
            age=age_label(lead.pooled_at, now),
            cells=[(FIELD_LABELS[f], _cell(lead, f)) for f in fields]
            + ([(SCORE_LABEL, lead.score)] if by_score else []),
        )
        for lead in page
    ]
    next_cursor = None
    if more and page:
        last = page[-1]
        payload = json.dumps([last.pooled_at.isoformat(), last.pk, last.score])
        next_cursor = _fernet().encrypt(payload.encode()).decode()
    columns = [FIELD_LABELS[f] for f in fields] + ([SCORE_LABEL] if by_score else [])
    return PoolPage(columns=columns, rows=rows, next_cursor=next_cursor, errors=errors)


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
    return "" if value is None else value_label(name, str(value))


@dataclass
class FilterChoices:
    """What the pool's filter menus offer: the values its waiting leads have, labelled."""

    sources: list[tuple[int, str]]
    countries: list[tuple[str, str]]
    industries: list[str]  # labels: the industry box matches labels and codes alike
    company_sizes: list[str]

    def keeping(self, query: PoolFilters) -> FilterChoices:
        """These, and the values `query` filters by (gone from the pool, or not offered
        yet), so the menus show what the list was filtered by."""
        countries, sizes = list(self.countries), list(self.company_sizes)
        if query.country and query.country not in {code for code, _ in countries}:
            countries.append((query.country, value_label("country", query.country)))
        if query.company_size and query.company_size not in sizes:
            sizes.append(query.company_size)
        sources = list(self.sources)
        if query.source and query.source not in {pk for pk, _ in sources}:
            # An id typed into the address: no other source's name is read out for it.
            sources += [(query.source, "Unknown source")]
        return FilterChoices(sources, countries, self.industries, sizes)


# A pool's menus, kept a minute per process: their query reads every lead of the pool
# (56 ms at 100k, where the page itself takes a few), and a value that arrived since
# only waits that long to be offered; filtering by it works at once.
CHOICES_SECONDS = 60
_choices: dict[int, tuple[float, FilterChoices]] = {}
_choices_lock = threading.Lock()


def pool_filter_choices(*, pool: Pool) -> FilterChoices:
    """The values the pool's waiting leads have, per filter. Raw SQL for GROUPING SETS:
    50 ms at 100k leads, against 330 ms for a DISTINCT over the four columns."""
    with _choices_lock:
        hit = _choices.get(pool.pk)
    if hit is not None and hit[0] > monotonic():
        return hit[1]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT g.industry, g.company_size, g.country, g.source_id, s.name
            FROM (SELECT industry, company_size, country, source_id FROM {Lead._meta.db_table}
                  WHERE pool_id = %s AND status = %s
                  GROUP BY GROUPING SETS ((industry), (company_size), (country), (source_id))) g
            LEFT JOIN {LeadSource._meta.db_table} s ON s.id = g.source_id""",
            [pool.pk, LeadState.POOLED.value],
        )
        rows = cursor.fetchall()
    industries, sizes, countries, sources = set(), set(), set(), {}
    for industry, size, country, source_id, source_name in rows:
        industries.add(value_label("industry", industry or ""))
        sizes.add(size)
        countries.add(country)
        if source_id is not None:
            sources[source_id] = source_name
    choices = FilterChoices(
        sources=sorted(sources.items(), key=lambda s: s[1].casefold()),
        countries=sorted(
            ((c, value_label("country", c)) for c in countries if c), key=lambda c: c[1]
        ),
        industries=sorted((i for i in industries if i), key=str.casefold),
        # Bands by their lower end ("11-50" before "201-1000"), words last.
        company_sizes=sorted((s for s in sizes if s), key=lambda s: (number(s) or 10**9, s)),
    )
    with _choices_lock:
        if len(_choices) > 1000:
            _choices.clear()
        _choices[pool.pk] = (monotonic() + CHOICES_SECONDS, choices)
    return choices
