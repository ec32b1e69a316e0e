-- Neovim configured by the documented snippet (docs/editors/nvim.lua): run its :DagsterLineage on a defs.yaml once
-- the project's lineage is ready and print the scratch buffer it opens, one line of stdout a buffer line.
-- Run from a folder whose .venv/bin holds the server: nvim --headless --clean -l lineage.lua SNIPPET FILE
local snippet, file = arg[1], arg[2]
local TIMEOUT_MS = 240000 -- a project without dbt state gets `dbt parse` first

local function fail(message)
  io.stderr:write("FAIL: " .. message .. "\n")
  os.exit(1)
end

dofile(snippet)
local lineage_ready = false
local documented_status = vim.lsp.config.dagster_components.handlers["dagster/status"]
vim.lsp.config("dagster_components", { handlers = { ["dagster/status"] = function(err, status, ctx)
  documented_status(err, status, ctx)
  if status.subject == "lineage" and status.state == "ready" then lineage_ready = true end
  if status.subject == "lineage" and status.state == "error" then fail("lineage: " .. status.message) end
end } })

vim.opt.swapfile = false
vim.cmd.edit(file)
local buf = vim.api.nvim_get_current_buf()
vim.bo[buf].filetype = "yaml"
if not vim.wait(TIMEOUT_MS, function() return lineage_ready end, 50) then fail("no lineage ready status") end

vim.cmd.DagsterLineage()
if not vim.wait(TIMEOUT_MS, function() return vim.api.nvim_get_current_buf() ~= buf end, 20) then
  fail(":DagsterLineage opened no buffer")
end
io.stdout:write(table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n"), "\n")
for _, client in ipairs(vim.lsp.get_clients({ name = "dagster_components" })) do client:stop() end
vim.wait(5000, function() return #vim.lsp.get_clients({ name = "dagster_components" }) == 0 end, 20)
os.exit(0)
