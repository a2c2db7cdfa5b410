"""Outbound webhooks: signed deliveries of lead events to a CRM (issue 25's outbound half).

The flow: pools announce every lead event inside the writer's transaction
(`pools.signals.lead_events_written`); `outbox` maps each to webhook types and writes a
`WebhookDelivery` row per matching subscription in that same transaction, and after commit
kicks a drain; `send` takes due deliveries in batches (FOR UPDATE SKIP LOCKED), signs and
POSTs them, and schedules retries in the database; a beat sweep drains whatever a lost task
or a dead worker left.
"""
