"""GPU jobs, in preview: they need the CUDA runtime that the `acme-platform[gpu]` extra installs.

Not re-exported by the package (a research environment without the extra still loads every other
component); a defs.yaml names it as `acme_platform.gpu.GpuJob`.
"""

import acme_cuda_runtime  # noqa: F401 - only installed with the `gpu` extra

import dagster as dg


class GpuJob(dg.Component, dg.Model, dg.Resolvable):
    """Trains a model on one GPU and materializes it as an asset."""

    asset_key: str
    owner: str

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        @dg.asset(key=dg.AssetKey.from_user_string(self.asset_key), owners=[self.owner], kinds={"gpu"})
        def _train() -> None: ...

        return dg.Definitions(assets=[_train])
