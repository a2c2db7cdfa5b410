"""Escalation of stale leads: SLA policies, the sweep that applies their steps, pool
aging, and the notifications (in-app, live, e-mail) they send."""
