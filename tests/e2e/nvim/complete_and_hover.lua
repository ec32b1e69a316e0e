-- Neovim as the editor, configured by the documented snippet (docs/editors/nvim.lua): open a defs.yaml, print the
-- server's diagnostics, completion and hover as JSON lines.
-- Run from a folder whose .venv/bin holds the server: nvim --headless --clean -l complete_and_hover.lua SNIPPET FILE
-- Prints one JSON object a line to stdout (print() goes to stderr under `nvim -l`); exits 1 on a timeout.
local snippet, file = arg[1], arg[2]
local TIMEOUT_MS = 150000

local function emit(record) io.stdout:write(vim.json.encode(record), "\n") end
local function fail(message)
  io.stderr:write("FAIL: " .. message .. "\n")
  os.exit(1)
end

dofile(snippet) -- vim.lsp.config("dagster_components", ...) + vim.lsp.enable, exactly as a user's init.lua has it

-- The server sends `ready` before it checks the open documents again with the component types: count the
-- diagnostics published after it, through the snippet's own `dagster/status` handler.
local registry_ready, published_after_ready = false, 0
local documented_status = vim.lsp.config.dagster_components.handlers["dagster/status"]
vim.lsp.config("dagster_components", { handlers = { ["dagster/status"] = function(err, status, ctx)
  documented_status(err, status, ctx)
  if status.subject == "registry" and status.state == "ready" then registry_ready = true end
end } })

vim.opt.swapfile = false -- the example file is read, never written
vim.cmd.edit(file)
local buf = vim.api.nvim_get_current_buf()
vim.bo[buf].filetype = "yaml" -- `nvim -l` does not detect file types; a user's Neovim does, which starts the server
vim.api.nvim_create_autocmd("DiagnosticChanged", { buffer = buf, callback = function()
  if registry_ready then published_after_ready = published_after_ready + 1 end
end })

local client
if not vim.wait(TIMEOUT_MS, function()
  client = vim.lsp.get_clients({ bufnr = buf, name = "dagster_components" })[1]
  return client ~= nil and client.initialized
end, 20) then fail("the snippet did not attach an initialized dagster_components client") end
emit({ kind = "client", cmd = client.config.cmd, root_dir = client.root_dir, init_options = client.config.init_options })

if not vim.wait(TIMEOUT_MS, function() return published_after_ready > 0 end, 20) then
  fail("no diagnostics after the registry was ready")
end
emit({ kind = "status", value = vim.g.dagster_status })
for _, d in ipairs(vim.diagnostic.get(buf)) do
  emit({ kind = "diagnostic", line = d.lnum, character = d.col, end_line = d.end_lnum, end_character = d.end_col,
         code = d.code, source = d.source, severity = d.severity, message = d.message })
end

local function request(method, params)
  if not client:supports_method(method) then
    return nil, false
  end
  local response = client:request_sync(method, params, TIMEOUT_MS, buf)
  if response == nil then fail(method .. ": no answer") end
  if response.err then fail(method .. ": " .. vim.inspect(response.err)) end
  return response.result, true
end

-- A new, empty attribute line after the last one (`  compute_size: xlarge`), where the user starts a key.
local last = vim.api.nvim_buf_line_count(buf)
vim.api.nvim_buf_set_lines(buf, last, last, false, { "  " })
local result, supported = request("textDocument/completion", {
  textDocument = { uri = vim.uri_from_bufnr(buf) }, position = { line = last, character = 2 },
})
local labels = {}
for _, item in ipairs(result and (result.items or result) or {}) do table.insert(labels, item.label) end
emit({ kind = "completion", supported = supported, line = last, character = 2, labels = labels })

-- Hover on the `type` value: `type: acme_platform.ResearchJob` is the fourth line.
local type_line = vim.fn.search("^type: ", "n") - 1
result, supported = request("textDocument/hover", {
  textDocument = { uri = vim.uri_from_bufnr(buf) }, position = { line = type_line, character = 10 },
})
local contents = result and result.contents or nil
emit({ kind = "hover", supported = supported, line = type_line, character = 10,
       markup = contents and contents.kind or vim.NIL, value = contents and (contents.value or contents) or vim.NIL })

client:stop()
vim.wait(5000, function() return client:is_stopped() end, 20)
os.exit(0)
