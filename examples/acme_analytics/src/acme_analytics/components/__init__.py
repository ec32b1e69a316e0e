"""Components local to the ACME analytics project (`registry_modules = ["acme_analytics.components.*"]`)."""
