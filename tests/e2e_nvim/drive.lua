-- Headless Neovim as a real client of `python -m server`: open a slow file, see the diagnostic, hover, apply
-- "Optimize for speed" and write the buffer back. Run by tests/test_lsp_neovim.py:
--   PY=... FILE=... nvim --headless --clean -c "luafile drive.lua"
local PY = assert(os.getenv("PY"))
local FILE = assert(os.getenv("FILE"))
local SETTINGS = vim.json.decode(assert(os.getenv("PYPERF_SETTINGS")))

local function out(...) io.stdout:write(table.concat({ ... }, " ") .. "\n") end
local function fail(msg) out("FAIL: " .. msg); vim.cmd("cquit 1") end

vim.cmd("edit " .. FILE)
local buf = vim.api.nvim_get_current_buf()
local client_id = vim.lsp.start({
  name = "pyperf", cmd = { PY, "-m", "server", "--stdio" }, root_dir = vim.fn.fnamemodify(FILE, ":h"),
  init_options = { pyperf = SETTINGS }, settings = { pyperf = SETTINGS },
}, { bufnr = buf })
local client = vim.lsp.get_client_by_id(client_id)
local function request(method, params, timeout_ms)
  return client:request_sync(method, params, timeout_ms or 10000, buf)
end

if not vim.wait(10000, function() return client.initialized end, 50) then fail("initialize") end
out("initialized")

-- 1. the diagnostics of the AST rules
if not vim.wait(20000, function() return #vim.diagnostic.get(buf) > 0 end, 50) then fail("no diagnostics") end
for _, d in ipairs(vim.diagnostic.get(buf)) do out("diagnostic:", d.lnum, d.code or "", d.message) end

-- 2. hover: the knowledge base's suggestions once the embedder has loaded (rule docs until then)
local uri = vim.uri_from_bufnr(buf)
local hover = ""
vim.wait(180000, function()
  local r = request("textDocument/hover", { textDocument = { uri = uri }, position = { line = 4, character = 8 } })
  hover = (r and r.result and r.result.contents.value) or ""
  return hover:find("Performance suggestions", 1, true) ~= nil
end, 500)
if not hover:find("Performance suggestions", 1, true) then fail("hover: " .. hover) end
out("hover: " .. hover:gsub("\n", " "):sub(1, 200))

-- 3. "Optimize for speed": list (cheap), resolve (runs and verifies), apply the edit
local here = { line = 2, character = 0 }
local r = request("textDocument/codeAction", {
  textDocument = { uri = uri }, range = { start = here, ["end"] = here },
  context = { diagnostics = {}, only = { "refactor.rewrite" } },
})
if not (r and r.result and #r.result == 1) then fail("codeAction: " .. vim.inspect(r)) end
out("listed:", r.result[1].title)
r = request("codeAction/resolve", r.result[1], 180000)
if not (r and r.result and r.result.edit) then fail("resolve: " .. vim.inspect(r)) end
out("resolved:", r.result.title)
vim.lsp.util.apply_workspace_edit(r.result.edit, client.offset_encoding)
vim.cmd("write")
out("OK")
vim.lsp.stop_client(client_id)
vim.wait(5000, function() return vim.lsp.get_client_by_id(client_id) == nil end, 50)
vim.cmd("qall!")
