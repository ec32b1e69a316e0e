"""Typed settings with defaults, built once from the client's options (`dagsterComponents`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Optional


@dataclass(frozen=True)
class Settings:
    python: Optional[str] = None
    """The project's interpreter; None resolves it from the project (see project.resolve_interpreter)."""
    lineage_enabled: bool = True
    trusted: bool = True
    """False: never start a worker (no user code runs); work from a cached registry if there is one.
    Set by `initialize`; configuration changes can only lower it (see `reconfigured`)."""
    trace_server: str = "off"
    diagnostics_workspace: bool = True
    """Component files the editor has not opened are checked too (`diagnostics.workspace`): each project's
    files are read and checked after every registry refresh and load."""
    inlay_hints_enabled: bool = True
    """Hints after each `{{ }}` value with what Dagster renders it to (`inlayHints.enabled`)."""
    inlay_hints_show_env_values: bool = False
    """Hints and the resolved view show environment variables' values, not only set/unset
    (`inlayHints.showEnvValues`); off, the worker never sends them."""
    environment_create: bool = False
    """The client offers to create a project's missing environment itself (VS Code's command): the
    server's status still says so, but it shows no warning of its own."""

    @classmethod
    def from_options(cls, options: Any) -> Settings:
        """From `initializationOptions` or the `dagsterComponents` section; unknown or ill-typed values keep defaults."""
        if not isinstance(options, dict):
            return cls()
        options = options.get("dagsterComponents", options)
        lineage = options.get("lineage") if isinstance(options.get("lineage"), dict) else {}
        trace = options.get("trace") if isinstance(options.get("trace"), dict) else {}
        environment = options.get("environment") if isinstance(options.get("environment"), dict) else {}
        diagnostics = options.get("diagnostics") if isinstance(options.get("diagnostics"), dict) else {}
        hints = options.get("inlayHints") if isinstance(options.get("inlayHints"), dict) else {}
        python = options.get("python")
        return cls(
            python=python if isinstance(python, str) and python.strip() else None,
            lineage_enabled=lineage.get("enabled", True) is not False,
            trusted=options.get("trusted", True) is not False,
            trace_server=str(trace.get("server", "off")),
            environment_create=environment.get("create", False) is True,
            diagnostics_workspace=diagnostics.get("workspace", True) is not False,
            inlay_hints_enabled=hints.get("enabled", True) is not False,
            inlay_hints_show_env_values=hints.get("showEnvValues", False) is True,
        )

    def reconfigured(self, options: Any) -> Settings:
        """The settings after `workspace/didChangeConfiguration`: everything from `options`, except trust,
        which only an explicit `trusted: false` changes (lowers). A section without the key (eglot sends
        `{}`) must not trust a workspace the client started untrusted: trust is raised by a new session
        (VS Code restarts the server when the user trusts the workspace)."""
        new = Settings.from_options(options)
        return replace(new, trusted=self.trusted and new.trusted)
