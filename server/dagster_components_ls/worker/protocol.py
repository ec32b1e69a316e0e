"""The JSON-lines wire format between the server and the worker (stdlib only, no other imports)."""

# One request per line on the worker's stdin, one response per line on its stdout:
#   -> {"id": 1, "method": "registry", "params": {"project_root": "/p", "extra_modules": []}}
#   <- {"id": 1, "result": {...}}
#   <- {"id": 1, "error": {"message": "...", "kind": "exception", "traceback": "..."}}
# Anything the user's code prints goes to the worker's stderr, never to stdout.

PROTOCOL_VERSION = 1

METHOD_PING = "ping"
METHOD_REGISTRY = "registry"
METHOD_VALIDATE = "validate"
METHOD_SCAFFOLD = "scaffold"
METHOD_LOAD = "load"
METHOD_SHUTDOWN = "shutdown"

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
#       "user_vars": {"<abs path of template_vars module or class key>": ["name", ...]},
#       "per_type": {"dagster_dbt.DbtProjectComponent": {"translation": ["node", "spec"]}},
#       "untemplated": {"dagster.TemplatedSqlComponent": ["sql_template"]},  # strings not rendered at load
#   },
#   "module_errors": {"some.module": "ModuleNotFoundError: No module named 'some'"},
# }
# Details of the registry result:
# - types: sorted by key; the entry points' modules, the project's registry_modules (wildcards
#   resolved), the extra_modules, and the project-local types that `type:` lines of the defs
#   folder name (relative `.X` resolved against the folder's full module). Schemas never carry
#   Dagster's "__DAGSTER_UNSET_DEFAULT__" default (the key is dropped).
# - user_vars keys: the absolute file path (as Python imported it) of each template_vars_module a
#   defs file names, with its @template_var functions; and the type key of each component class
#   with @staticmethod @template_var methods (or an overridden get_additional_scope).
# - per_type paths: attribute field names joined by "." with list and dict levels left out, so
#   `attributes.replications[0].translation` is "replications.translation".
# - module_errors keys: a module that raised on import (any exception, SystemExit included), or a
#   type key whose class was imported but could not be described (its model raised).

# Result kinds of an error response.
ERROR_EXCEPTION = "exception"  # the call raised (user code or Dagster)
ERROR_BAD_REQUEST = "bad-request"  # unknown method or malformed params
