"""Pull: reps claiming leads from shared pools (preview or blind) — the pool pages, the
claim (`claim`, every pull rule in `claim_functions`), refusals, release, live updates."""
