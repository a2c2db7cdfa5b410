"""Rule replays (issue 22): ask for a replay of a draft rule set over a past period, watch
it run, and read it beside the live rules' replay and what really happened — per rep,
fairness, caps, queues, predicted conversion and speed, and lead by lead (CSV too)."""
