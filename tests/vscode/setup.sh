#!/usr/bin/env bash
# Installs what tests/e2e/test_vscode_extension.py needs to drive real VS Code:
#   apt: chromium (the browser), libkrb5-dev (code-server's kerberos module compiles), ripgrep (see below)
#   npm: code-server@4.100.3 (= VS Code 1.100.3, the last release on Node 20) and playwright-core@1.65.1
# into $DAGSTER_COMPONENTS_LS_TOOLS (default ~/.cache/dagster-components-ls/vscode-tools).
# Idempotent: a second run checks a stamp file and returns at once. Needs root for apt (CI runs as root).
# Why each setting: /work/shared/reference/clients.md §2 (offline machine: npm, PyPI and Debian only).
set -euo pipefail

CODE_SERVER_VERSION=4.100.3
PLAYWRIGHT_VERSION=1.65.1
# @vscode/ripgrep as pinned by code-server 4.100.3: its postinstall downloads rg from GitHub unless
# this cache file exists, so Debian's rg is packed into it.
RIPGREP_PKG_VERSION=1.15.11
RIPGREP_ASSET=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz
APT_PACKAGES=(chromium libkrb5-dev ripgrep)

TOOLS="${DAGSTER_COMPONENTS_LS_TOOLS:-$HOME/.cache/dagster-components-ls/vscode-tools}"
STAMP="$TOOLS/.installed"
WANT="code-server@$CODE_SERVER_VERSION playwright-core@$PLAYWRIGHT_VERSION"

STEP=""
step() { STEP="$1"; echo "==> $1"; }
trap 'rc=$?; [[ $rc -ne 0 ]] && echo "FAILED (exit $rc) in step: $STEP" >&2' EXIT

step "apt packages: ${APT_PACKAGES[*]}"
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "    installing: ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    echo "    not root: run as root or install them first: apt-get install ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "    already installed"
fi

step "node and npm"
command -v node >/dev/null && command -v npm >/dev/null || { echo "    node/npm not on PATH" >&2; exit 1; }
node_major=$(node -p 'process.versions.node.split(".")[0]')
echo "    node $(node --version), npm $(npm --version)"
# code-server 4.100.3 ships VS Code for Node 20; newer code-server releases need Node 22/24.
[[ $node_major == 20 ]] || echo "    warning: code-server $CODE_SERVER_VERSION expects Node 20, found $node_major" >&2

CS="$TOOLS/node_modules/.bin/code-server"
PW="$TOOLS/node_modules/playwright-core/package.json"
if [[ -f $STAMP && "$(cat "$STAMP")" == "$WANT" && -x $CS && -f $PW ]]; then
  step "code-server and playwright-core: already in $TOOLS"
else
  step "ripgrep download cache for @vscode/ripgrep $RIPGREP_PKG_VERSION"
  [[ $(uname -m) == x86_64 ]] || echo "    warning: the cached rg asset is for x86_64; on $(uname -m) @vscode/ripgrep will try GitHub" >&2
  cache="${TMPDIR:-/tmp}/vscode-ripgrep-cache-$RIPGREP_PKG_VERSION"
  if [[ ! -s $cache/$RIPGREP_ASSET ]]; then
    rgdir=$(mktemp -d)
    cp "$(command -v rg)" "$rgdir/rg"
    mkdir -p "$cache"
    tar czf "$cache/$RIPGREP_ASSET" -C "$rgdir" rg
    rm -rf "$rgdir"
  fi
  echo "    $cache/$RIPGREP_ASSET"

  step "npm install $WANT into $TOOLS"
  rm -f "$STAMP"
  mkdir -p "$TOOLS"
  [[ -f $TOOLS/package.json ]] || echo '{"name":"dagster-components-ls-vscode-tools","private":true}' > "$TOOLS/package.json"
  # unsafe_perm: code-server's postinstall refuses root without it; yes: node-pty's `npx node-gyp`
  # would ask; nodedir: native modules build against /usr/include/node instead of downloading headers.
  (cd "$TOOLS" && npm_config_unsafe_perm=true npm_config_yes=true npm_config_nodedir=/usr \
     npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false \
     npm install --save-exact --loglevel=error "code-server@$CODE_SERVER_VERSION" "playwright-core@$PLAYWRIGHT_VERSION")
  echo "$WANT" > "$STAMP"
fi

step "check: code-server --version"
"$CS" --version 2>/dev/null | grep -m1 "with Code"
step "check: playwright-core $(node -p "require('$PW').version")"
echo "==> done: tools in $TOOLS"
