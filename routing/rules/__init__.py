"""Routing rules: their conditions as people write them, the admin's forms, and the cache
of the active rules the engine reads."""
