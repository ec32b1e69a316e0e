-- dagster-components-ls for Neovim 0.11+: put this in your init.lua (or lua/ file it requires).
-- The server from the project's .venv when Neovim starts in the project, else `dagster-components-ls` on PATH.
local venv_server = vim.fn.getcwd() .. "/.venv/bin/dagster-components-ls"

vim.lsp.config("dagster_components", {
  cmd = { vim.fn.executable(venv_server) == 1 and venv_server or "dagster-components-ls", "serve" },
  filetypes = { "yaml" }, -- the server answers only for defs.yaml, defs.yml and component.yaml
  root_markers = { "dg.toml", "pyproject.toml", ".git" },
  init_options = {
    -- python = "/path/to/project/.venv/bin/python", -- default: the project's .venv, then $VIRTUAL_ENV, then the server's own
    lineage = { enabled = true }, -- false: never load the project's definitions
  },
  handlers = {
    -- {project, interpreter, subject = registry|lineage|worker, state = loading|ready|error|untrusted, message}
    ["dagster/status"] = function(_, status)
      vim.g.dagster_status = status.subject .. ": " .. status.state -- e.g. for your statusline
      if status.state == "error" then vim.notify("dagster: " .. status.message, vim.log.levels.WARN) end
    end,
  },
})
vim.lsp.enable("dagster_components")

-- :DagsterLineage: what the current file's documents produce, with their upstream and downstream assets.
vim.api.nvim_create_user_command("DagsterLineage", function()
  local buf = vim.api.nvim_get_current_buf()
  local client = vim.lsp.get_clients({ bufnr = buf, name = "dagster_components" })[1]
  if not client then return vim.notify("dagster_components is not attached", vim.log.levels.WARN) end
  client:request("dagster/lineage", { textDocument = { uri = vim.uri_from_bufnr(buf) } }, function(err, result)
    if err then return vim.notify("dagster/lineage: " .. err.message, vim.log.levels.ERROR) end
    local lines = {}
    for _, asset in ipairs(result.assets) do
      table.insert(lines, ("%-10s %s  <- %s"):format(asset.role, asset.key, table.concat(asset.deps, ", ")))
    end
    for _, error in ipairs(result.errors) do table.insert(lines, "error: " .. error.message) end
    vim.cmd("botright new")
    vim.bo.buftype, vim.bo.bufhidden = "nofile", "wipe"
    vim.api.nvim_buf_set_lines(0, 0, -1, false, lines)
  end, buf)
end, {})
