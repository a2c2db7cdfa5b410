"""The rule simulator: draft rule sets (drafts) and replays of past leads through the
engine with a virtual book that advances lead by lead and writes nothing (replay, book)."""
