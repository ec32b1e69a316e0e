-- Neovim configured by the documented snippet (docs/editors/nvim.lua), lineage off: open a defs.yaml with templates
-- and print the semantic tokens Neovim itself decoded and holds for the buffer (vim.lsp.semantic_tokens.get_at_pos
-- over every character), and whether its highlighter put them in the buffer as extmarks; then its inlay hints.
-- Run from a folder whose .venv/bin holds the server: nvim --headless --clean -l semantic_tokens.lua SNIPPET FILE
-- Prints one JSON object a line to stdout; exits 1 on a timeout.
local snippet, file = arg[1], arg[2]
local TIMEOUT_MS = 150000

local function emit(record) io.stdout:write(vim.json.encode(record), "\n") end
local function fail(message)
  io.stderr:write("FAIL: " .. message .. "\n")
  os.exit(1)
end

dofile(snippet)
local registry_ready = false
local documented_status = vim.lsp.config.dagster_components.handlers["dagster/status"]
vim.lsp.config("dagster_components", {
  init_options = { lineage = { enabled = false } },
  handlers = { ["dagster/status"] = function(err, status, ctx)
    documented_status(err, status, ctx)
    if status.subject == "registry" and status.state == "ready" then registry_ready = true end
  end },
})

vim.opt.swapfile = false -- the example file is read, never written
vim.cmd.edit(file)
local buf = vim.api.nvim_get_current_buf()
vim.bo[buf].filetype = "yaml"
local client
if not vim.wait(TIMEOUT_MS, function()
  client = vim.lsp.get_clients({ bufnr = buf, name = "dagster_components" })[1]
  return client ~= nil and client.initialized and registry_ready
end, 20) then fail("no initialized dagster_components client with its registry ready") end
emit({ kind = "provider", full = client.server_capabilities.semanticTokensProvider.full,
       range = client.server_capabilities.semanticTokensProvider.range })

-- Ask again now that the registry is there (the first answer may have come before it), as an edit would.
vim.lsp.semantic_tokens.force_refresh(buf)
local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
local function tokens()
  local seen, out = {}, {}
  for row, text in ipairs(lines) do
    for col = 0, #text - 1 do
      for _, t in ipairs(vim.lsp.semantic_tokens.get_at_pos(buf, row - 1, col) or {}) do
        local key = ("%d:%d"):format(t.line, t.start_col)
        if not seen[key] then
          seen[key] = true
          local modifiers = vim.tbl_keys(t.modifiers or {})
          table.sort(modifiers)
          table.insert(out, { line = t.line, start_col = t.start_col, end_col = t.end_col, type = t.type,
                              modifiers = modifiers, text = text:sub(t.start_col + 1, t.end_col) })
        end
      end
    end
  end
  return out
end
local found
if not vim.wait(TIMEOUT_MS, function()
  found = tokens()
  return #found > 0
end, 50) then fail("Neovim holds no semantic tokens for the buffer") end
for _, t in ipairs(found) do emit(vim.tbl_extend("force", { kind = "token" }, t)) end

-- The highlighter draws on redraw: with a window on the buffer, its extmarks carry @lsp.type.* groups.
vim.cmd.redraw()
local namespaces = {}
for name, id in pairs(vim.api.nvim_get_namespaces()) do
  if name:find("semantic_tokens", 1, true) then namespaces[id] = true end
end
local groups = {}
for id in pairs(namespaces) do
  for _, mark in ipairs(vim.api.nvim_buf_get_extmarks(buf, id, 0, -1, { details = true })) do
    if mark[4].hl_group then groups[mark[4].hl_group] = true end
  end
end
local names = vim.tbl_keys(groups)
table.sort(names)
emit({ kind = "highlight_groups", groups = names })

-- Inlay hints (rendered by the worker): Neovim's own list for the buffer, then what its display put in the
-- buffer (virtual text extmarks of its inlay hint namespace).
vim.lsp.inlay_hint.enable(true, { bufnr = buf })
local hints
if not vim.wait(TIMEOUT_MS, function()
  hints = vim.lsp.inlay_hint.get({ bufnr = buf })
  return #hints >= 3
end, 50) then fail("Neovim holds fewer than 3 inlay hints for the buffer") end
table.sort(hints, function(a, b)
  local pa, pb = a.inlay_hint.position, b.inlay_hint.position
  return pa.line < pb.line or (pa.line == pb.line and pa.character < pb.character)
end)
for _, h in ipairs(hints) do
  local label = h.inlay_hint.label
  if type(label) == "table" then
    label = table.concat(vim.tbl_map(function(part) return part.value end, label))
  end
  emit({ kind = "hint", line = h.inlay_hint.position.line, character = h.inlay_hint.position.character, label = label })
end
vim.cmd.redraw()
local shown = {}
for name, id in pairs(vim.api.nvim_get_namespaces()) do
  if name:find("inlayhint", 1, true) or name:find("inlay_hint", 1, true) then
    for _, mark in ipairs(vim.api.nvim_buf_get_extmarks(buf, id, 0, -1, { details = true })) do
      for _, chunk in ipairs(mark[4].virt_text or {}) do
        table.insert(shown, { line = mark[2], text = chunk[1] })
      end
    end
  end
end
table.sort(shown, function(a, b) return a.line < b.line or (a.line == b.line and a.text < b.text) end)
emit({ kind = "hint_virtual_text", chunks = shown })

for _, c in ipairs(vim.lsp.get_clients({ name = "dagster_components" })) do c:stop() end
vim.wait(5000, function() return #vim.lsp.get_clients({ name = "dagster_components" }) == 0 end, 20)
os.exit(0)
