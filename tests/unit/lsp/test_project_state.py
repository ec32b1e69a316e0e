"""lsp/project_state.py: the project's dbt manifests, kept from every `dbt_selection` answer."""

from dagster_components_ls.lsp.project_state import ProjectState


def vocabulary(project_dir, *names):
    nodes = [{"unique_id": f"model.p.{n}", "name": n, "resource_type": "model"} for n in names]
    return {"nodes": nodes, "selectors": [], "node_fields": ["name"], "project_dir": project_dir}


def test_the_newest_answer_per_manifest_and_per_dbt_project_is_kept():
    state = ProjectState(project=None)
    state.learn_dbt({"results": [], "manifests": {"/p/a/target/manifest.json": vocabulary("/p/a", "orders")}})
    state.learn_dbt({"results": [], "manifests": {"/p/b/target/manifest.json": vocabulary("/p/b", "events")}})
    # Prepared: project a's manifest is now the stored state's copy; the old one is dropped.
    state.learn_dbt({"results": [], "manifests": {"/p/.state/a/manifest.json": vocabulary("/p/a", "customers")}})
    state.learn_dbt({"results": [], "manifests": {}})  # a document with no manifest changes nothing
    state.learn_dbt(None)
    assert list(state.dbt_vocabularies) == ["/p/.state/a/manifest.json", "/p/b/target/manifest.json"]
    assert sorted(state.dbt.models) == ["customers", "events"]
