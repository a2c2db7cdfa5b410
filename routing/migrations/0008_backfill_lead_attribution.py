"""Fill the lead's report columns (pools 0011) from the records that existed before them:
rule and method from each lead's latest routing decision, the current owner's channel from
that decision (a pooled one, then owned: claimed), and qualified_at from the first move to
qualified in the timeline (or, for a lead with no such event, when it was closed or last
updated). One set-based UPDATE each: a million leads take seconds, not a Python loop."""

from django.db import migrations

OFFER_METHODS = ("shotgun", "shark_tank", "sequential", "cascade", "waves")


def backfill(apps, schema_editor):
    lead = apps.get_model("pools", "Lead")._meta.db_table
    event = apps.get_model("pools", "LeadEvent")._meta.db_table
    decision = apps.get_model("routing", "RoutingDecision")._meta.db_table
    offer_methods = ", ".join(f"'{m}'" for m in OFFER_METHODS)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {lead} l
            SET routed_rule = d.rule_id, routed_method = d.method,
                assigned_via = CASE
                    WHEN l.owner_id IS NULL THEN ''
                    WHEN d.outcome = 'assigned' AND d.method = 'manual' THEN 'desk'
                    WHEN d.outcome = 'assigned' AND d.method IN ({offer_methods}) THEN 'offer'
                    WHEN d.outcome = 'assigned' THEN 'push'
                    WHEN d.outcome = 'pooled' THEN 'pool'
                    ELSE '' END
            FROM (SELECT DISTINCT ON (lead_id) lead_id, rule_id, method, outcome
                  FROM {decision} ORDER BY lead_id, created_at DESC, id DESC) d
            WHERE d.lead_id = l.id"""
        )
        cursor.execute(
            f"""
            UPDATE {lead} l SET qualified_at = e.at
            FROM (SELECT lead_id, min(created_at) AS at FROM {event}
                  WHERE to_state = 'qualified' GROUP BY lead_id) e
            WHERE e.lead_id = l.id AND l.qualified_at IS NULL"""
        )
        cursor.execute(
            f"""
            UPDATE {lead} SET qualified_at = COALESCE(closed_at, updated_at)
            WHERE status IN ('qualified', 'won') AND qualified_at IS NULL"""
        )


class Migration(migrations.Migration):
    dependencies = [
        ("routing", "0007_quota_fill_method"),
        ("pools", "0013_lead_attribution"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
