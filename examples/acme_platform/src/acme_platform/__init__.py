"""ACME platform components.

This module is the package's `dagster_dg_cli.registry_modules` entry point, so every component
re-exported here is registered as `acme_platform.<ClassName>`.
"""

from acme_platform.components.research_job import ComputeSize, Observability, ResearchJob

__all__ = ["ComputeSize", "Observability", "ResearchJob"]
