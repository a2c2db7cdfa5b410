"""Conversion: how far the period's leads got (new → contacted → qualified → won/lost),
overall and by rep, routing method, rule, source, territory and score band."""
