-- Neovim configured by the documented snippet (docs/editors/nvim.lua), lineage off: on a defs.yaml, list the
-- references of the asset key under the cursor (vim.lsp.buf.references and the raw request), then rename it
-- with vim.lsp.buf.rename and print every buffer the edit changed; a refused rename prints its message.
-- Run from a folder whose .venv/bin holds the server: nvim --headless --clean -l references.lua SNIPPET FILE
-- Prints one JSON object a line to stdout; exits 1 on a timeout.
local snippet, file = arg[1], arg[2]
local TIMEOUT_MS = 150000
local KEY, NEW_KEY, TAKEN = "research/churn_model", "research/churn_model_v2", "research/ltv_forecast"

local function emit(record) io.stdout:write(vim.json.encode(record), "\n") end
local function fail(message)
  io.stderr:write("FAIL: " .. message .. "\n")
  os.exit(1)
end

dofile(snippet)
local registry_ready = false
local documented_status = vim.lsp.config.dagster_components.handlers["dagster/status"]
vim.lsp.config("dagster_components", {
  init_options = { lineage = { enabled = false } }, -- no dbt run: these names are read from the YAML
  handlers = { ["dagster/status"] = function(err, status, ctx)
    documented_status(err, status, ctx)
    if status.subject == "registry" and status.state == "ready" then registry_ready = true end
  end },
})

vim.opt.swapfile = false
vim.cmd.edit(file)
local buf = vim.api.nvim_get_current_buf()
vim.bo[buf].filetype = "yaml"
local client
if not vim.wait(TIMEOUT_MS, function()
  client = vim.lsp.get_clients({ bufnr = buf, name = "dagster_components" })[1]
  return client ~= nil and client.initialized and registry_ready
end, 20) then fail("no initialized dagster_components client with its registry ready") end

-- The cursor on the key in `    - research/churn_model`.
local line = vim.fn.search("- " .. KEY, "n")
vim.api.nvim_win_set_cursor(0, { line, 8 })
local position = { line = line - 1, character = 8 }

local response = client:request_sync("textDocument/references", {
  textDocument = { uri = vim.uri_from_bufnr(buf) }, position = position, context = { includeDeclaration = true },
}, TIMEOUT_MS, buf)
if response == nil or response.err then fail("references: " .. vim.inspect(response)) end
for _, loc in ipairs(response.result) do
  emit({ kind = "reference", uri = loc.uri, line = loc.range.start.line, character = loc.range.start.character,
         end_character = loc.range["end"].character })
end

local listed
vim.lsp.buf.references({ includeDeclaration = true }, { on_list = function(list) listed = list.items end })
if not vim.wait(TIMEOUT_MS, function() return listed ~= nil end, 20) then fail("vim.lsp.buf.references: no list") end
for _, item in ipairs(listed) do emit({ kind = "listed", filename = item.filename, lnum = item.lnum, col = item.col }) end

local refused = client:request_sync("textDocument/rename", {
  textDocument = { uri = vim.uri_from_bufnr(buf) }, position = position, newName = TAKEN,
}, TIMEOUT_MS, buf)
emit({ kind = "refused", message = refused and refused.err and refused.err.message or vim.NIL })

vim.lsp.buf.rename(NEW_KEY, { name = "dagster_components" })
if not vim.wait(TIMEOUT_MS, function()
  return vim.api.nvim_buf_get_lines(buf, line - 1, line, false)[1]:find(NEW_KEY, 1, true) ~= nil
end, 20) then fail("vim.lsp.buf.rename changed nothing") end
for _, b in ipairs(vim.api.nvim_list_bufs()) do
  if vim.api.nvim_buf_is_loaded(b) and vim.bo[b].modified then
    for number, text in ipairs(vim.api.nvim_buf_get_lines(b, 0, -1, false)) do
      if text:find(NEW_KEY, 1, true) then
        emit({ kind = "renamed", file = vim.api.nvim_buf_get_name(b), lnum = number, text = text })
      end
    end
  end
end
for _, c in ipairs(vim.lsp.get_clients({ name = "dagster_components" })) do c:stop() end
vim.wait(5000, function() return #vim.lsp.get_clients({ name = "dagster_components" }) == 0 end, 20)
os.exit(0)
