"""Component classes of the ACME platform (re-exported from `acme_platform`)."""
