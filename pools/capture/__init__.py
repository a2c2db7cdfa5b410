"""Capture: leads arriving from outside — the JSON API with its keys and rate limit, the
public web form, CSV imports — cleaned and deduplicated by one write path (`services`)."""
