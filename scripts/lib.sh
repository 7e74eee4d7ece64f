# SPDX-License-Identifier: MIT
# Shared by scripts/demo.sh and scripts/test.sh (sourced, not run).

# xipc_need_packages PKG...: install the Debian packages that are missing, when
# running as root on a Debian/Ubuntu machine; otherwise say what is missing.
xipc_need_packages() {
  local missing=() p
  if ! command -v dpkg-query >/dev/null 2>&1; then
    return 0 # not Debian: the commands themselves will say what is missing
  fi
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "missing packages: ${missing[*]}; install them (sudo apt-get install ${missing[*]}) and retry" >&2
    return 1
  fi
}
