"""Every diagnostic and fix: the rules, component validation and policies."""
