"""Screening: a new lead scored and qualified before routing, by conditions written once
for scoring and routing rules (`conditions`)."""
