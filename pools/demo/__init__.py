"""Demo data: teams, reps, pools and leads built from the real Olist funnel."""
