"""The user's machine: project discovery, interpreter, files, disk cache and the worker client."""
