"""The command line: check, schema export."""
