"""ACME analytics: dbt models and research jobs built from platform components."""
