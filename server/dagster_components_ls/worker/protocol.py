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
#       "globals": ["env", "dg", "datetime", "context", ...],
#       "deprecated": {"project_root": "use {{ context.project_root }}", ...},
#       "user_vars": {"<abs path of template_vars module or class key>": ["name", ...]},
#       "per_type": {"dagster_dbt.DbtProjectComponent": {"translation": ["node", "spec"]}},
#   },
#   "module_errors": {"some.module": "ModuleNotFoundError: No module named 'some'"},
# }

# Result kinds of an error response.
ERROR_EXCEPTION = "exception"  # the call raised (user code or Dagster)
ERROR_BAD_REQUEST = "bad-request"  # unknown method or malformed params
