-- Neovim as the editor: start the server on a defs.yaml, print its diagnostics, completion and hover as JSON lines.
-- Run: nvim --headless --clean -l complete_and_hover.lua PYTHON FILE ROOT_DIR
-- Prints one JSON object a line to stdout (print() goes to stderr under `nvim -l`); exits 1 on a timeout.
local python, file, root = arg[1], arg[2], arg[3]
local TIMEOUT_MS = 150000

local function emit(record) io.stdout:write(vim.json.encode(record), "\n") end
local function fail(message)
  io.stderr:write("FAIL: " .. message .. "\n")
  os.exit(1)
end

vim.opt.swapfile = false -- the example file is read, never written
vim.cmd.edit(file)
local buf = vim.api.nvim_get_current_buf()
vim.bo[buf].filetype = "yaml"

local registry_ready, published_after_ready = false, 0
-- The server sends `ready` before it checks the open documents again with the component types.
vim.api.nvim_create_autocmd("DiagnosticChanged", { buffer = buf, callback = function()
  if registry_ready then published_after_ready = published_after_ready + 1 end
end })
local client_id = vim.lsp.start({
  name = "dagster-components-ls",
  cmd = { python, "-m", "dagster_components_ls" },
  root_dir = root,
  init_options = { python = python },
  handlers = {
    -- Sample: {"project": null, "subject": "registry", "state": "ready", "message": "16 component types", ...}
    ["dagster/status"] = function(_, status)
      if status.subject == "registry" and status.state == "ready" then registry_ready = true end
    end,
  },
}, { bufnr = buf })

local client = vim.lsp.get_client_by_id(client_id)
if not vim.wait(TIMEOUT_MS, function() return client.initialized end, 20) then fail("no initialize answer") end

if not vim.wait(TIMEOUT_MS, function() return published_after_ready > 0 end, 20) then
  fail("no diagnostics after the registry was ready")
end
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
