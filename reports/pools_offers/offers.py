"""The offer figures: how the period's leads' offers ended and how fast they were
accepted, by offer method and by rep. One GROUP BY per table.

An offer is one step of a lead's live offer (routing.offers.models.Offer): a shotgun is
one offer to many reps, a cascade one offer per rep it passes through."""

from __future__ import annotations

from django.db import connection
from django.db.models import Count, Q

from accounts.models import User
from reports import charts
from reports.filters import ReportFilters
from reports.sql import Percentile, Seconds
from reports.tables import Column, ReportTable, Stat, rate
from routing.models import Offer, OfferResponse, RoutingRule

St = Offer.State
ACCEPTED = Q(state=St.ACCEPTED)
TO_ACCEPT = Seconds("closed_at", "sent_at")

FIGURES = {
    "sent": Count("id"),
    "accepted": Count("id", filter=ACCEPTED),
    "declined": Count("id", filter=Q(state=St.DECLINED)),
    "expired": Count("id", filter=Q(state=St.EXPIRED)),
    "withdrawn": Count("id", filter=Q(state=St.WITHDRAWN)),
    "open": Count("id", filter=Q(state=St.OPEN)),
    "p50": Percentile(TO_ACCEPT, percentile=0.5, filter=ACCEPTED),
    "p90": Percentile(TO_ACCEPT, percentile=0.9, filter=ACCEPTED),
}

OUTCOME_COLUMNS = [
    Column("sent", "Sent"),
    Column("accepted", "Accepted", wide_only=True),
    Column("declined", "Declined", help="Every recipient declined.", wide_only=True),
    Column("expired", "Expired", help="Nobody answered in time.", wide_only=True),
    Column("withdrawn", "Withdrawn", help="The lead moved another way meanwhile.", wide_only=True),
    Column("open", "Open", help="Still waiting for an answer.", wide_only=True),
    Column("accept_rate", "Accept rate", "share", "Accepted ÷ sent."),
    Column("p50", "Median", "seconds", "Median time to accept, from sending to the accept."),
    Column("p90", "p90 to accept", "seconds", wide_only=True),
]

METHOD_LABELS = dict(RoutingRule.OfferMethod.choices)


def _with_rate(row: dict) -> dict:
    return row | {"accept_rate": rate(row["accepted"], row["sent"])}


def offers_by_method(filters: ReportFilters) -> tuple[ReportTable, dict]:
    offers = Offer.objects.filter(filters.lead_q("lead__"))
    rows = [
        _with_rate(r) | {"label": METHOD_LABELS.get(r["method"], r["method"]).split(":")[0]}
        for r in offers.values("method").annotate(**FIGURES).order_by("-sent", "method")
    ]
    totals = _with_rate(offers.aggregate(**FIGURES)) | {"label": "All methods"}
    table = ReportTable(
        key="by_method",
        title="Offers by method",
        columns=[Column("label", "Method", "text"), *OUTCOME_COLUMNS],
        rows=rows,
        totals=totals if rows else None,
        caption="Offers made for the period's leads, by how they ended.",
        empty="No offer was made for this period's leads.",
    )
    table.chart = charts.stacked_bar_chart(
        title="How offers ended",
        labels=[r["label"] for r in rows],
        series=[  # only the endings that happened: a phone's legend holds four at most
            charts.Series(label, [r[key] for r in rows])
            for key, label in (
                ("accepted", "Accepted"),
                ("declined", "Declined"),
                ("expired", "Expired"),
                ("withdrawn", "Withdrawn"),
                ("open", "Open"),
            )
            if any(r[key] for r in rows)
        ],
        share=True,
    )
    return table, totals


# By rep: each recipient of each offer (the recipient array unnested), their answer (a
# response row, if any) and whether they won. Raw SQL: the ORM cannot GROUP BY an unnested
# array; the period's leads come from the same `filters.leads()` as every other table.
_BY_REP = """
SELECT r.rep_id,
       count(*) AS received,
       count(*) FILTER (WHERE o.winner_id = r.rep_id) AS accepted,
       count(resp.id) FILTER (WHERE resp.response = %s) AS declined,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM o.closed_at - o.sent_at))
           FILTER (WHERE o.winner_id = r.rep_id) AS p50,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM o.closed_at - o.sent_at))
           FILTER (WHERE o.winner_id = r.rep_id) AS p90
FROM {offer} o
CROSS JOIN LATERAL unnest(o.recipient_ids) AS r(rep_id)
LEFT JOIN {response} resp ON resp.offer_id = o.id AND resp.rep_id = r.rep_id
WHERE o.lead_id IN ({leads})
GROUP BY r.rep_id
ORDER BY received DESC, r.rep_id
"""


def offers_by_rep(filters: ReportFilters) -> ReportTable:
    leads_sql, leads_params = filters.leads().values("id").query.sql_with_params()
    sql = _BY_REP.format(
        offer=Offer._meta.db_table, response=OfferResponse._meta.db_table, leads=leads_sql
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [OfferResponse.Response.DECLINED, *leads_params])
        names = [c.name for c in cursor.description]
        rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    people = {u.pk: u for u in User.objects.filter(pk__in=[r["rep_id"] for r in rows])}
    for row in rows:
        user = people.get(row["rep_id"])
        row["label"] = user.display_name if user else f"Deleted user {row['rep_id']}"
        row["unanswered"] = row["received"] - row["accepted"] - row["declined"]
        row["accept_rate"] = rate(row["accepted"], row["received"])
    return ReportTable(
        key="by_rep",
        title="Offers by rep",
        columns=[
            Column("label", "Rep", "text"),
            Column("received", "Received", help="Offers that named the rep."),
            Column("accepted", "Won", help="Offers the rep accepted first.", wide_only=True),
            Column("declined", "Declined", wide_only=True),
            Column(
                "unanswered",
                "No answer",
                help="Neither accepted nor declined: it expired, someone else was faster, "
                "or it was withdrawn.",
                wide_only=True,
            ),
            Column("accept_rate", "Win rate", "share", "Won ÷ received."),
            Column("p50", "Median", "seconds", "Median time to accept, of the offers the rep won."),
            Column("p90", "p90 to accept", "seconds", wide_only=True),
        ],
        rows=rows,
        caption="Every rep an offer named; a shotgun offer counts for each of its recipients.",
        empty="No offer was made for this period's leads.",
    )


def offer_report(filters: ReportFilters) -> dict:
    by_method, totals = offers_by_method(filters)
    by_rep = offers_by_rep(filters)
    stats = [
        Stat("offers sent", totals["sent"]),
        Stat("accepted", totals["accept_rate"], "share"),
        Stat("median to accept", totals["p50"], "seconds"),
        Stat("expired", totals["expired"], alert=bool(totals["expired"])),
    ]
    return {"stats": stats, "tables": {t.key: t for t in (by_method, by_rep)}}
