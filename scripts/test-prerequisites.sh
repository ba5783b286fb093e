#!/usr/bin/env bash
# Runs before the test suite (package.json "pretest", so `npm test` alone is enough on a new
# machine). The suite calls three programs that npm cannot install; they come from Debian:
#   promtool (package prometheus) checks /metrics and runs the alert rules' unit tests
#     (test/grafana);
#   openssl makes the TLS certificate of the lab's HTTPS twins (lab/tls.ts);
#   postgresql: the store contract suite and the high-availability tests start throwaway
#     clusters of it on loopback ports (test/helpers/postgres.ts, lab/postgres.ts).
# When one is missing, root (or a user whose sudo needs no password) installs it here; anyone
# else is shown the exact command, and the tests do not start rather than fail one by one.
set -euo pipefail

missing=()
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# The tests look for the server binaries where Debian puts them, whatever the version.
compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null || missing+=(postgresql)
[ ${#missing[@]} -eq 0 ] && exit 0

command_line="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "npm test needs promtool (Prometheus), openssl and PostgreSQL's server binaries in /usr/lib/postgresql;" >&2
  echo "missing here (Debian's package names): ${missing[*]}. On Debian or Ubuntu: sudo sh -c '$command_line'" >&2
  exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo)
else
  echo "npm test needs Debian's packages ${missing[*]}, and installing them takes root. Run:" >&2
  echo "  sudo sh -c '$command_line'" >&2
  echo "then npm test again." >&2
  exit 1
fi

echo "npm test: installing Debian's packages ${missing[*]} (once; about a minute)" >&2
"${as_root[@]}" apt-get update -qq
# noninteractive: no prompt for a package's questions, so this also runs without a terminal (CI).
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
