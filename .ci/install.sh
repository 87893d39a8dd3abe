#!/usr/bin/env bash
# What scd-ts needs on a fresh Debian/Ubuntu machine (as root), shared by .ci/demo (the demo:
# gnupg and Deno) and .ci/run (the tests: everything). Source it, then call
#   install_packages PKG...   apt-get install the ones not installed yet
#   install_deno              Deno $DENO_VERSION from the npm registry into $tools, on PATH
# (JSR and Deno's own download host are unreachable from our build machines; npm is not.)

DENO_VERSION=2.9.6
tools=${SCD_TS_TOOLS:-/var/cache/scd-ts/tools}

install_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "install: apt-get install ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

install_deno() {
  if [ ! -x "$tools/node_modules/.bin/deno" ] ||
    ! "$tools/node_modules/.bin/deno" --version | grep -q "^deno $DENO_VERSION "; then
    command -v npm >/dev/null || install_packages npm
    echo "install: npm install deno@$DENO_VERSION"
    mkdir -p "$tools"
    [ -f "$tools/package.json" ] || echo '{"private":true}' >"$tools/package.json"
    npm install --prefix "$tools" --no-audit --no-fund --silent "deno@$DENO_VERSION"
  fi
  export PATH="$tools/node_modules/.bin:$PATH"
  deno --version | head -1
}
