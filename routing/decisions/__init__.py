"""“Why this rep?”: a lead's decision record, as its page shows it."""
