"""Speed-to-lead: how fast the period's leads were first touched, from arrival and from
assignment (median and p90), by rep and routing method; the share touched within 5 min."""
