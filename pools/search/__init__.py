"""Lead search: the manager's searchable, filterable list of their teams' leads."""
