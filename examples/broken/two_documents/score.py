"""Stand-in research script (the example platform never runs it)."""

print("scoring churn")
