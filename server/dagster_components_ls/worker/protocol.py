"""The JSON-lines wire format between the server and the worker (stdlib only, no other imports)."""

from typing import Any, TypedDict

# One request per line on the worker's stdin, one response per line on its stdout:
#   -> {"id": 1, "method": "registry", "params": {"project_root": "/p", "extra_modules": []}}
#   <- {"id": 1, "result": {...}}
#   <- {"id": 1, "error": {"message": "...", "kind": "exception", "traceback": "..."}}
# Anything the user's code prints goes to the worker's stderr, never to stdout.

PROTOCOL_VERSION = 1
# The payloads below are TypedDicts: the wire is plain JSON, and they only name its shapes.
# A list of keys and indices from a document's root: ["attributes", "jobs", 2, "name"].
KeyPath = list[str | int]


# {"executable": "/p/.venv/bin/python", "version": "3.11.7"}
class PythonInfo(TypedDict):
    executable: str
    version: str


# {"protocol": 1, "pid": 4242, "python": {"executable": "/p/.venv/bin/python", "version": "3.11.7"}}
class PingResult(TypedDict):
    protocol: int
    pid: int
    python: PythonInfo


METHOD_PING = "ping"
METHOD_REGISTRY = "registry"
METHOD_VALIDATE = "validate"
METHOD_SCAFFOLD = "scaffold"
METHOD_LOAD = "load"
METHOD_POLICIES = "policies"
METHOD_DBT_SELECTION = "dbt_selection"
METHOD_RENDER = "render"
METHOD_SHUTDOWN = "shutdown"

# Progress: during a call, the worker may send lines that say what it is about to do, before doing
# it, so a call that times out can be blamed on the step it was in:
#   <- {"id": 1, "progress": "importing 'shop.components.gadget'"}


# {"id": 1, "progress": "importing 'shop.components.gadget'"}
class ProgressMessage(TypedDict):
    id: Any
    progress: str


# Registry params (METHOD_REGISTRY):
# -> {"project_root": "/p" | null, "extra_modules": ["mod", ...], "extra_types": ["pkg.Type", ...],
#     "seconds_per_module": 60}        # optional: one module's import (or one type's description) budget
# Each module is imported, and each type described, as one watched step of the build: a step that
# overruns its budget, or ends the process (os._exit, a segfault), is left out and the build runs
# again without it, so it costs only its own types; its module_errors entry says what happened:
# "did not finish within 60 s", "ended the process (exit code 7)", "crashed the process (signal 11, SIGSEGV)".
class RegistryParams(TypedDict, total=False):
    project_root: str | None
    extra_modules: list[str]
    extra_types: list[str]
    seconds_per_module: float


SECONDS_PER_MODULE = 60
# The Dagster releases the worker supports: every patch release of these families (CI runs the
# lowest patch of each and the newest pinned one). Older ones are refused with this in the message.
OLDEST_DAGSTER = (1, 11)
SUPPORTED_DAGSTER = "1.11, 1.12 and 1.13"

# Registry result (METHOD_REGISTRY), plain JSON:
# {
#   "protocol": 1,
#   "python": {"executable": "/p/.venv/bin/python", "version": "3.11.7"},
#   "dagster_version": "1.13.27",
#   "types": [{
#       "key": "dagster_dbt.DbtProjectComponent",
#       "aliases": ["dagster_dbt.components.dbt_project.component.DbtProjectComponent"],
#       "summary": "...", "description": "... (Markdown)",
#       "schema": {... attributes JSON schema, $defs kept local ...},
#       "scaffold_params_schema": {...} | null,
#       "source": {"path": "/abs/file.py", "line": 12} | null,   # 1-based line of the class
#       "package": "dagster-dbt" | null, "version": "0.29.27" | null,
#   }, ...],
#   "envelope_schema": {... defs.yaml document schema without attributes' contents ...},
#   "post_processing_schema": {...},
#   "template_scope": {
#       "globals": ["env", "dg", "datetime", "context", ...],   # deprecated names included
#       "deprecated": {"project_root": "use {{ context.project_root }}", ...},
#       "members": {"context": ["build_defs", "load_component", "project_root"], "dg": [...], ...},
#       "signatures": {"context.load_component": {"parameters": ["defs_path: ResolvableToComponentPath", ...],
#                      "documentation": "Loads a component from the given path. ..."}, "env": {...}},
#       "user_vars": {"<abs path of template_vars module or class key>": ["name", ...]},
#       "per_type": {"dagster_dbt.DbtProjectComponent": {"translation": ["node", "spec"]}},
#       "untemplated": {"dagster.TemplatedSqlComponent": ["sql_template"]},  # strings not rendered at load
#       "additional": {"shop.Scoped": ["region", "tier"]},        # from an overridden get_additional_scope()
#       "own_scope": {"shop.Card": {"headers": "inside", "layout": "all"}, "shop.Broken": {"": "all"}},
#   },
#   "module_errors": {"some.module": "ModuleNotFoundError: No module named 'some'"},
# }
# Details of the registry result:
# - types: sorted by key; the entry points' modules, the project's registry_modules (wildcards
#   resolved), the extra_modules, and the project-local types that `type:` lines of the defs
#   folder name (relative `.X` resolved against the folder's full module). Schemas never carry
#   Dagster's "__DAGSTER_UNSET_DEFAULT__" default (the key is dropped). A field the component's code
#   deprecates has `"deprecated": true` on its property, and `"deprecationMessage": "..."` (VS Code's
#   keyword) with the code's own reason when it gives one (pydantic's `deprecated=`, `@deprecated_param`,
#   a field resolver's `deprecation_warning`).
# - user_vars keys: the absolute file path (as Python imported it) of each template_vars_module a
#   defs file names, with its @template_var functions; and the type key of each component class
#   with @staticmethod @template_var methods (or an overridden get_additional_scope).
# - per_type paths: attribute field names joined by "." with list and dict levels left out, so
#   `attributes.replications[0].translation` is "replications.translation". They hold translation
#   names and the names a field's schema promises (`"dagster_required_scope"`).
# - additional: the names an overridden `get_additional_scope()` returns (called on the class, as
#   Dagster's loader does); they are in user_vars too.
# - own_scope: fields (same dotted paths; "" is the whole document) whose templates a resolver
#   renders with names of its own, which cannot be known: "all" for every string there, "inside" for
#   strings nested in the field's value (a plain string value is rendered with the component's
#   scope first). {"": "all"} when get_additional_scope() raised. Unknown names there are not errors.
# - module_errors keys: a module that raised on import (any exception, SystemExit included), or a
#   type key whose class was imported but could not be described (its model raised).


# {"path": "/abs/file.py", "line": 12}
class SourceLocation(TypedDict):
    path: str
    line: int | None


# {"key": "dagster_dbt.DbtProjectComponent", "aliases": [...], "summary": "...", "description": "...",
#  "schema": {...}, "scaffold_params_schema": null, "source": {...}, "package": "dagster-dbt", "version": "0.29.27"}
class ComponentType(TypedDict):
    key: str
    aliases: list[str]
    summary: str | None
    description: str | None
    schema: dict[str, Any] | None
    scaffold_params_schema: dict[str, Any] | None
    source: SourceLocation | None
    package: str | None
    version: str | None


class TemplateSignature(TypedDict):
    """A callable of Dagster's template scope: its parameters as written (`key: str`), its docstring."""

    parameters: list[str]
    documentation: str


# {"globals": ["env", "dg", ...], "deprecated": {"project_root": "use {{ context.project_root }}"}, "members": {...},
#  "user_vars": {...}, "per_type": {...}, "untemplated": {...}, "additional": {...}, "own_scope": {...}}
class TemplateScope(TypedDict):
    globals: list[str]
    deprecated: dict[str, str]
    members: dict[str, list[str]]
    signatures: dict[str, TemplateSignature]
    user_vars: dict[str, list[str]]
    per_type: dict[str, dict[str, list[str]]]
    untemplated: dict[str, list[str]]
    additional: dict[str, list[str]]
    own_scope: dict[str, dict[str, str]]


# {"protocol": 1, "python": {...}, "dagster_version": "1.13.27", "types": [...], "envelope_schema": {...},
#  "post_processing_schema": {...}, "template_scope": {...}, "module_errors": {"some.module": "..."}}
class RegistryResult(TypedDict):
    protocol: int
    python: PythonInfo
    dagster_version: str
    types: list[ComponentType]
    envelope_schema: dict[str, Any]
    post_processing_schema: dict[str, Any] | None
    template_scope: TemplateScope
    module_errors: dict[str, str]


# Policies (METHOD_POLICIES): every entry point of the group `dagster_components_ls.policies`, called
# on every document (signature: dagster_components_ls/checks/policies/platform.py, schemas/README.md).
# -> {"documents": [{"index": 0,                       # echoed in the answer; the server's choice
#                    "type": "acme_platform.ResearchJob" | null,   # canonical key, null if unknown
#                    "document": {"type": ..., "attributes": ...}, # the document as written, plain JSON
#                    "assets": [{"key", "owners", "tags", ...}]}], # optional: assets it produced (load)
#     "seconds_per_policy": 5}                         # optional: one policy's budget for the call
# <- {"results": [{"policy": "acme-naming", "package": "acme-platform", "index": 0,
#                  "violations": [{"path": ["attributes", "owner"], "message": "..."}]}],
#     "errors": [{"policy": "bad-policy", "package": "bad-policies", "index": 0 | null,
#                 "message": "raised ValueError: boom"}]}
# - A violation carries "path" (keys and list indices) or, from an asset-aware policy, "asset_key".
# - results: only documents with violations; well-formed violations are kept even when others are not.
# - errors: what went wrong, as a phrase to follow "Policy 'x' from package 'y' ": "could not be
#   loaded: ...", "is not a function: ...", "raised ...", "returned ..., not a list of ...",
#   "returned an invalid violation ...", "printed to stdout ...", "did not finish within 5 s",
#   "crashed: ...". index is null when the policy failed before any document. package is null when the
#   entry point belongs to no distribution.
# - Each entry point runs in its own forked child: one policy's failure never costs another's results.
#   A policy with a second positional parameter is called as policy(document, assets), assets being
#   None when the request carries none.


# {"index": 0, "type": "acme_platform.ResearchJob" | null, "document": {"type": ..., "attributes": ...},
#  "assets": [{"key": "customers", ...}] | null}
class PolicyDocument(TypedDict, total=False):
    index: int
    type: str | None
    document: dict[str, Any]
    assets: list["AssetNode"] | None


# {"documents": [{"index": 0, "type": ..., "document": {...}}], "seconds_per_policy": 5}
class PoliciesParams(TypedDict, total=False):
    documents: list[PolicyDocument]
    seconds_per_policy: float


# {"path": ["attributes", "owner"], "message": "..."} or {"asset_key": "raw/x", "message": "..."}
class Violation(TypedDict, total=False):
    path: KeyPath
    asset_key: str
    message: str


# {"index": 0, "violations": [{"path": ["attributes", "owner"], "message": "..."}]}
class DocumentViolations(TypedDict):
    index: int
    violations: list[Violation]


# {"index": 0 | null, "message": "raised ValueError: boom"}
class PolicyProblem(TypedDict):
    index: int | None
    message: str


# {"policy": "acme-naming", "package": "acme-platform", "index": 0, "violations": [...]}
class PolicyResult(DocumentViolations):
    policy: str
    package: str | None


# {"policy": "bad-policy", "package": "bad-policies", "index": null, "message": "could not be loaded: ..."}
class PolicyError(PolicyProblem):
    policy: str
    package: str | None


# {"results": [{"policy": ..., "index": 0, "violations": [...]}], "errors": [{"policy": ..., "message": ...}]}
class PoliciesResult(TypedDict):
    results: list[PolicyResult]
    errors: list[PolicyError]


# Validate params and result (METHOD_VALIDATE): the component's own validation of each document's
# attributes, as Dagster's loader runs it (the derived model, then `Component.load`), without
# rendering templates or calling `build_defs`.
# -> {"project_root": "/p" | null,
#     "documents": [{"index": 0,                                # the document's index in its file
#                    "type": "acme_platform.ResearchJob",     # absolute: relative `.X` resolved
#                    "attributes": {...} | null,              # plain JSON, as written
#                    "template_vars_module": ".vars" | null,  # accepted, unused: nothing is rendered
#                    "folder": "/p/src/p/defs/churn"}],      # the file's folder (context.path)
#     "seconds_per_document": 30}      # optional: one document's budget (default SECONDS_PER_DOCUMENT)
# <- {"results": [{"index": 0, "type": "acme_platform.ResearchJob",  # both echoed
#                  "errors": [{"path": ["attributes", "asset_key"],
#                              "message": "asset_key 'raw/x' uses the namespace 'raw', ...",
#                              "kind": "value_error",                  # pydantic's error type
#                              "suggestions": ["research/x"]}],         # only when the validator offers some
#                  "skipped": null | "building the component failed: FileNotFoundError: ...",
#                  "failed": null | "did not finish within 30 s"}]}
# Details of the validate result:
# - one result per document, in order; a document whose import or resolver raises something other
#   than a pydantic ValidationError gets `skipped` (the reason) and no errors: such failures depend
#   on files, the environment or rendering, which are not this method's to report. When the class's
#   own field or model validator raised it (a KeyError, SystemExit), that is an error of kind
#   "validator_raised": "The validator '_check' raised KeyError: 'x'", at the field's path, or at
#   [] (the document) for a model validator. A resolver that fails to import a Python reference
#   written in the YAML (FunctionComponent's `execution.fn: my_module.fn`: no such module, or no such
#   attribute of it) is an error of kind "unimportable" at the string naming it:
#   "'my_module.fn' cannot be imported: No module named 'my_module'". A module that exists but fails
#   to import (a package or variable it needs) names something else and stays `skipped`; a relative
#   reference (`.ops.fn`) is judged only when project_root is given (the defs module it starts from).
# - path: key path from the document root, YAML indices; model-level errors are ["attributes"] (or
#   the nested object's path); a `missing` error's path ends with the missing key. Union-branch
#   names are dropped, duplicates merged (distinct messages joined with "; "), and pydantic's
#   "Value error, " prefix removed.
# - suggestions: values the validator offers instead, from a `suggestion`/`suggestions` attribute of
#   the error it raised (or a PydanticCustomError's context); the server makes them quick fixes.
# - values holding `{{`, `{%` or `{#` are left out, and no error is reported on a path that
#   touches one (the value, inside it, or an object containing it): see worker/validate.py.
# - the documents may come from many files (`check` sends a project's in one call, so the project's
#   modules are imported once): they run in one forked child, each as one watched step. A document
#   that overruns seconds_per_document, or ends the process (os._exit, a segfault), gets `failed`
#   ("did not finish within 30 s", "ended the process (exit code 7)") and no errors, and the call
#   runs again without it, so it costs only itself. Installed modules the child imported are
#   imported by the worker after answering, so the next call's child starts with them.
# {"index": 0, "type": "acme_platform.ResearchJob", "attributes": {...}, "template_vars_module": null,
#  "folder": "/p/src/p/defs/churn"}  (`type` is required)
class ValidateDocument(TypedDict, total=False):
    index: int
    type: str
    attributes: Any
    template_vars_module: str | None
    folder: str


# {"project_root": "/p", "documents": [{"index": 0, "type": "...", ...}], "seconds_per_document": 30}
class ValidateParams(TypedDict, total=False):
    project_root: str | None
    documents: list[ValidateDocument]
    seconds_per_document: float


# {"path": ["attributes", "asset_key"], "message": "asset_key 'raw/x' uses ...", "kind": "value_error"}
class _ValidateErrorKeys(TypedDict):
    path: KeyPath
    message: str
    kind: str


# {"path": [...], "message": "...", "kind": "value_error", "suggestions": ["research/x"]}
class ValidateError(_ValidateErrorKeys, total=False):
    suggestions: list[str]


# {"index": 0, "type": "acme_platform.ResearchJob", "errors": [...], "skipped": null}  (as a document's child answers)
class ValidatedDocument(TypedDict):
    index: int | None
    type: str
    errors: list[ValidateError]
    skipped: str | None


# {"index": 0, "type": "...", "errors": [...], "skipped": null, "failed": "did not finish within 30 s"}
class ValidateDocumentResult(ValidatedDocument):
    failed: str | None


# {"results": [{"index": 0, "type": "...", "errors": [], "skipped": null, "failed": null}]}
class ValidateResult(TypedDict):
    results: list[ValidateDocumentResult]


SECONDS_PER_DOCUMENT = 30

# Result kinds of an error response.
ERROR_EXCEPTION = "exception"  # the call raised (user code or Dagster)
ERROR_BAD_REQUEST = "bad-request"  # unknown method or malformed params
ERROR_NO_DAGSTER = "no-dagster"  # the interpreter has no Dagster at all (the server serves its bundled snapshot)


# {"message": "ValueError: boom", "kind": "exception", "traceback": "Traceback (most recent call last): ..."}
class ErrorPayload(TypedDict):
    message: str
    kind: str
    traceback: str


# {"id": 1, "error": {"message": "...", "kind": "exception", "traceback": "..."}}
class ErrorResponse(TypedDict):
    id: Any
    error: ErrorPayload


# Load (METHOD_LOAD): the project's definitions, loaded by Dagster's own ComponentTree in a forked
# child (user code runs there, fresh each call; installed modules it imported are imported by the
# worker after answering, so the next load is warm). DAGSTER_IS_DEV_CLI is never set.
# -> {"project_root": "/p", "prepare": false, "seconds_per_document": 30}
#    seconds_per_document (optional): one document's build_defs budget (the whole build gets twice
#    that); one that overruns is its document's error "BuildTimeout: build_defs did not finish
#    within 30 s" (a Python-level hang: a sleep, a loop), and the other documents still load. A
#    build_defs that calls sys.exit is its document's error "SystemExit: 3".
# <- {"needs_prepare": [{"key": "DbtProjectComponent[jaffle_shop]", "path": "/p/.../defs.yaml",
#                         "document": 0, "reason": "models/orders.sql changed after the state was stored"}]}
#    only when prepare is false and a state-backed component's stored state (dbt: the manifest and
#    the project copy under .local_defs_state/) is missing or older than its sources; ask again
#    with prepare: true to run what `dg utils refresh-defs-state` runs (dbt parse) for those.
# <- {"assets": [{"key": "customers", "deps": ["stg_orders"], "group": "jaffle_shop", "kinds": ["dbt"],
#                 "owners": ["team:analytics"], "tags": {...}, "checks": ["unique_customers_customer_id"],
#                 "description": "...", "automation_condition": "eager" | null, "materializable": true,
#                 "producer": {"path": "/p/.../defs.yaml", "document": 0} | {"path": "/p/.../x.py",
#                              "document": null} | null}],      # null: an external dep's stub
#     "errors": [{"path": "/p/.../defs.yaml" | null, "document": 0 | null,
#                 "key_path": ["attributes", "project"] | null, "line": 12 | null (1-based, .py files),
#                 "message": "DagsterDbtProjectNotFoundError: project_dir ... does not exist.",
#                 "traceback": "..."}],
#     "prepared": [{"key": "...", "reason": "...", "seconds": 5.2}]}
# <- {"cancelled": true} when the client sent SIGUSR1 to the worker during the call.
# - Tags leave out dagster/kind/* (they are `kinds`). When the whole build fails, each document is
#   built alone: the assets of the others still come back (without their folders' post_processing).
# - key_path: where Dagster was resolving, else the value whose template uses a template variable
#   that raised, else the value whose literal text the message quotes; null means the document.


# {"project_root": "/p", "prepare": false, "seconds_per_document": 30}
class LoadParams(TypedDict, total=False):
    project_root: str
    prepare: bool
    seconds_per_document: float | None


# {"key": "DbtProjectComponent[jaffle_shop]", "path": "/p/.../defs.yaml", "document": 0, "reason": "..."}
class NeedsPrepare(TypedDict):
    key: str
    path: str
    document: int | None
    reason: str


# {"path": "/p/.../defs.yaml", "document": 0}
class AssetProducer(TypedDict):
    path: str
    document: int | None


# {"key": "customers", "deps": ["stg_orders"], "group": "jaffle_shop", "kinds": ["dbt"], "owners": [...],
#  "tags": {...}, "checks": [...], "description": "...", "automation_condition": "eager", "materializable": true}
class AssetNode(TypedDict):
    key: str
    deps: list[str]
    group: str | None
    kinds: list[str]
    owners: list[str]
    tags: dict[str, str]
    checks: list[str]
    description: str | None
    automation_condition: str | None
    materializable: bool


# {"key": "customers", ..., "producer": {"path": "/p/.../defs.yaml", "document": 0} | null}
class LoadedAsset(AssetNode):
    producer: AssetProducer | None


# {"path": "/p/.../defs.yaml", "document": 0, "key_path": ["attributes", "project"], "line": null,
#  "message": "DagsterDbtProjectNotFoundError: ...", "traceback": "..."}
class LoadError(TypedDict):
    path: str | None
    document: int | None
    key_path: KeyPath | None
    line: int | None
    message: str
    traceback: str


# {"key": "DbtProjectComponent[jaffle_shop]", "reason": "models/orders.sql changed after ...", "seconds": 5.2}
class Prepared(TypedDict):
    key: str
    reason: str
    seconds: float


# {"assets": [...], "errors": [...], "prepared": [...]}, or {"needs_prepare": [...]}, or {"cancelled": true}
class LoadResult(TypedDict, total=False):
    assets: list[LoadedAsset]
    errors: list[LoadError]
    prepared: list[Prepared]
    needs_prepare: list[NeedsPrepare]
    cancelled: bool


# dbt selection (METHOD_DBT_SELECTION): a DbtProjectComponent document's `select` / `exclude` /
# `selector` (as the editor holds them; null: not written, dagster-dbt's default) judged by
# dagster-dbt's own `select_unique_ids` on the manifest the component reads, in a forked child. The
# component is loaded from the file on disk (its `project`); the manifest is never prepared here.
# -> {"project_root": "/p", "path": "/p/.../defs.yaml",
#     "documents": [{"index": 0, "select": "tag:daly +orders", "exclude": null, "selector": null}]}
# <- {"results": [{"index": 0, "manifest": {"path": "/p/.../manifest.json", "project_dir": "...", "mtime": 1.5e9},
#                  "reason": null,             # why there is no manifest ("not a DbtProjectComponent", ...)
#                  "fields": {"select": {"value": "tag:daly +orders", "criteria": [{"text": "tag:daly", "start": 0, "count": 0, "error": null},
#                                                     {"text": "+orders", "start": 9, "count": 21, "error": null}],
#                                        "error": null}},
#                  "selected": ["model.jaffle_shop.orders", ...] | null,   # the whole selection (first 200,
#                                                                            # models, seeds, snapshots first)
#                  "kinds": {"model": 3, "seed": 2, "test": 16} | null,  # the whole selection by resource type
#                  "error": null}],            # the whole selection's error (a selector with select)
#     "manifests": {"/p/.../manifest.json": {"nodes": [{"unique_id", "name", "resource_type", "package",
#                   "path", "tags", "materialized", "source_name", "description",
#                   "columns": [{"name": "customer_id", "description": "..."}], "original_file_path": "models/customers.sql",
#                   "patch_path": "jaffle_shop://models/schema.yml"}], "selectors": [...],
#                   "node_fields": ["alias", "columns", "config", ...], "project_dir": "/p/dbt/jaffle_shop"}}}
# A criterion's `error` is dbt's message ("'foo' is not a valid method name").
class DbtCriterion(TypedDict):
    text: str
    start: int
    count: int
    error: str | None


class DbtSelectionField(TypedDict):
    value: str
    criteria: list[DbtCriterion]
    error: str | None


class DbtManifest(TypedDict):
    path: str
    project_dir: str
    mtime: float


class DbtSelectionDocument(TypedDict):
    index: Any
    manifest: DbtManifest | None
    reason: str | None
    fields: dict[str, DbtSelectionField]
    selected: list[str] | None
    kinds: dict[str, int] | None
    error: str | None


class DbtColumn(TypedDict):
    name: str
    description: str


class DbtNode(TypedDict):
    unique_id: str
    name: str
    resource_type: str
    package: str
    path: str
    tags: list[str]
    materialized: str | None
    source_name: str | None
    description: str
    columns: list[DbtColumn]
    """The documented columns (first 50, descriptions cut at 200 characters)."""
    original_file_path: str | None
    """Relative to the vocabulary's project_dir: "models/customers.sql"."""
    patch_path: str | None
    """The schema file that documents it, as dbt writes it: "jaffle_shop://models/schema.yml"."""


class DbtSelector(TypedDict):
    name: str
    description: str


class DbtVocabulary(TypedDict):
    nodes: list[DbtNode]
    selectors: list[DbtSelector]
    node_fields: list[str]
    """The top-level field names of the manifest's nodes (what `{{ node.x }}` may read in a translation)."""
    project_dir: str
    """The dbt project's folder (absolute): the nodes' paths are relative to it."""


class DbtSelectionResult(TypedDict):
    results: list[DbtSelectionDocument]
    manifests: dict[str, DbtVocabulary]


# Scaffold (METHOD_SCAFFOLD): what `dg scaffold defs <type> <folder>` would write, without writing.
#   -> {"project_root": "/p" | null, "type": "dagster_dbt.DbtProjectComponent", "folder_name": "jaffle",
#       "params": {"project_path": "/p/dbt/jaffle"} | null, "append": false}
#   <- {"files": [{"path": "defs.yaml", "text": "type: dagster_dbt.DbtProjectComponent\n..."}]}


# {"project_root": "/p", "type": "dagster_dbt.DbtProjectComponent", "folder_name": "jaffle", "params": {...},
#  "append": false}
class ScaffoldParams(TypedDict, total=False):
    project_root: str | None
    type: str
    folder_name: str
    params: dict[str, Any] | None
    append: bool


# {"path": "defs.yaml", "text": "type: dagster_dbt.DbtProjectComponent\n..."}
class ScaffoldFile(TypedDict):
    path: str
    text: str


# {"files": [{"path": "defs.yaml", "text": "..."}]}
class ScaffoldResult(TypedDict):
    files: list[ScaffoldFile]


# Render (METHOD_RENDER): each templated string (`{{` or `{%`) under a document's `attributes` and
# `post_processing`, rendered by Dagster's own `ResolutionContext.resolve_value` with the scope
# `Component.load` gives it (context, template vars, the class's static vars), in a forked child.
# Nothing rendered is written anywhere.
# -> {"project_root": "/p" | null, "env_values": false,
#     "documents": [{"index": 0, "type": "acme_platform.ResearchJob",   # absolute, as for validate
#                    "document": {"type": ..., "attributes": {...}},   # the whole document, plain JSON
#                    "folder": "/p/src/p/defs/churn",
#                    "late": [["attributes", "translation"]],         # rendered at run time: not here
#                    "untemplated": [["attributes", "sql_template"]]}],  # never rendered at load
#     "seconds_per_document": 30}
# <- {"results": [{"index": 0, "skipped": null | "ModuleNotFoundError: ...",   # no scope could be built
#                  "values": [{"path": ["attributes", "project"], "text": "/p/dbt", "value": "/p/dbt",
#                              "env": [{"name": "DB", "set": true, "default": false}],
#                              "error": null | "UndefinedError: 'x' not found in scope, ...",
#                              "runtime": false}],                  # true: under a `late` path
#                  "resolved": {...the document with each rendered value in place...},
#                  "failed": null | "did not finish within 30 s"}]}
# - env_values false: a set variable renders as "${NAME}" (its value never leaves the worker); an
#   unset one as Dagster renders it (None, the default, or its error for env('X') without default).
# - value: the rendered Python value as JSON, or its repr when it is not plain data; text: a string
#   as is, anything else as JSON.


# {"index": 0, "type": "...", "document": {...}, "folder": "/p/...", "late": [[...]], "untemplated": [[...]]}
class RenderDocument(TypedDict, total=False):
    index: int
    type: str
    document: dict[str, Any]
    folder: str
    late: list[KeyPath]
    untemplated: list[KeyPath]


# {"project_root": "/p", "env_values": false, "documents": [...], "seconds_per_document": 30}
class RenderParams(TypedDict, total=False):
    project_root: str | None
    env_values: bool
    documents: list[RenderDocument]
    seconds_per_document: float


# {"name": "DB", "set": true, "default": false}
class EnvRead(TypedDict):
    name: str
    set: bool
    default: bool


# {"path": [...], "text": "/p/dbt", "value": "/p/dbt", "env": [...], "error": null, "runtime": false}
class RenderedValue(TypedDict):
    path: KeyPath
    text: str | None
    value: Any
    env: list[EnvRead]
    error: str | None
    runtime: bool


# {"index": 0, "values": [...], "resolved": {...}, "skipped": null}  (as a document's child answers)
class RenderedDocument(TypedDict):
    index: int | None
    values: list[RenderedValue]
    resolved: Any
    skipped: str | None


# {"index": 0, "values": [...], "resolved": {...}, "skipped": null, "failed": null}
class RenderDocumentResult(RenderedDocument):
    failed: str | None


# {"results": [...]}
class RenderResult(TypedDict):
    results: list[RenderedDocument]
