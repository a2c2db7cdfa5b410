"""Quota attainment: each rep's quotas for the week or month the report's period ends in."""
