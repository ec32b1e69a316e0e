" Try docs/editors/ale.vim by hand (not in the test suite):
"   FILE=path/defs.yaml vim -N -u NONE -i NONE -es -S docs/editors/try-ale.vim
" Loads the Debian vim-ale package and the documented snippet, opens FILE and prints ALE's diagnostics.
set runtimepath^=/usr/share/vim-ale
runtime plugin/ale.vim
let g:ale_lint_on_enter = 0
execute 'source ' . fnameescape(expand('<sfile>:p:h') . '/ale.vim')
execute 'edit ' . fnameescape($FILE)
set filetype=yaml
ALELint
let s:waited = 0
while s:waited < 1200 && empty(get(get(g:ale_buffer_info, bufnr(''), {}), 'loclist', []))
  sleep 100m
  let s:waited += 1
endwhile
" The server sends the first diagnostics before the component types are loaded: wait a little more for the final ones.
sleep 3
for s:item in get(get(g:ale_buffer_info, bufnr(''), {}), 'loclist', [])
  call writefile([printf('diagnostic: line %d col %d %s: %s', s:item.lnum, s:item.col, s:item.linter_name, s:item.text)],
  \ '/dev/stdout', 'a')
endfor
qall!
