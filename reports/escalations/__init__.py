"""SLA breaches and escalations: what the escalation sweep did to the period's leads (by
policy and step action), whose leads it reminded about or took away, and the share of
owned leads that breached their SLA's first step."""
