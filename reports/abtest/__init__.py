"""A/B comparison: two periods, two routing rules or two routing methods side by side on
conversion (won ÷ leads) and speed to lead (owned leads touched within 5 minutes), each
difference tested with a two-proportion z-test and said in words."""
