"""Leads routed before pools.0015 get the territories their latest routing decision matched
(its details list them), so the desk's territory filter finds them too."""

from django.db import migrations

BACKFILL = """
UPDATE pools_lead l
SET territory_ids = ARRAY(SELECT jsonb_array_elements_text(d.details -> 'territories')::int)
FROM (
    SELECT DISTINCT ON (lead_id) lead_id, details
    FROM routing_routingdecision
    ORDER BY lead_id, created_at DESC, id DESC
) d
WHERE d.lead_id = l.id AND jsonb_typeof(d.details -> 'territories') = 'array'
"""


class Migration(migrations.Migration):
    dependencies = [
        ("pools", "0015_lead_territory_ids"),
        ("routing", "0011_policy_rules_live_only"),
    ]

    operations = [migrations.RunSQL(BACKFILL, migrations.RunSQL.noop)]
