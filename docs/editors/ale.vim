" dagster-components-ls with ALE (Vim 8+): put this in your vimrc, after ALE is loaded.
function! DagsterComponentsLsExecutable(buffer) abort
  let l:venv = ale#path#FindNearestDirectory(a:buffer, '.venv')
  let l:server = empty(l:venv) ? '' : l:venv . 'bin/dagster-components-ls'
  return executable(l:server) ? l:server : 'dagster-components-ls'
endfunction

function! DagsterComponentsLsRoot(buffer) abort
  let l:marker = ale#path#FindNearestFile(a:buffer, 'pyproject.toml')
  return empty(l:marker) ? expand('#' . a:buffer . ':p:h') : fnamemodify(l:marker, ':h')
endfunction

call ale#linter#Define('yaml', {
\   'name': 'dagster_components_ls',
\   'lsp': 'stdio',
\   'executable': function('DagsterComponentsLsExecutable'),
\   'command': '%e serve',
\   'project_root': function('DagsterComponentsLsRoot'),
\   'initialization_options': {'lineage': {'enabled': v:true}},
\})
" ALE runs only its default linters for YAML unless g:ale_linters names them: add ours to yours.
let g:ale_linters = get(g:, 'ale_linters', {})
let g:ale_linters.yaml = get(g:ale_linters, 'yaml', ['spectral', 'yaml-language-server', 'yamllint'])
\ + ['dagster_components_ls']
