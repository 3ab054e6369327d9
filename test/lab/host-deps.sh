#!/usr/bin/env bash
# Installs the Debian packages the lab and the tests need, only when one is missing. Packages
# named as arguments are installed too (bench/host-deps.sh passes the ones it lacks).
set -euo pipefail
need=("$@")
command -v dnsmasq >/dev/null || need+=(dnsmasq-base)
command -v ip >/dev/null && command -v ss >/dev/null || need+=(iproute2)
command -v iptables >/dev/null && command -v iptables-save >/dev/null || need+=(iptables)
command -v ip6tables >/dev/null || need+=(iptables)
command -v openssl >/dev/null || need+=(openssl)
command -v dig >/dev/null || need+=(dnsutils)
command -v nc >/dev/null || need+=(netcat-openbsd)
command -v curl >/dev/null || need+=(curl)
command -v pkill >/dev/null || need+=(procps)
command -v setpriv >/dev/null || need+=(util-linux)
command -v promtool >/dev/null || need+=(prometheus)
command -v chromium >/dev/null || need+=(chromium)
command -v zsh >/dev/null || need+=(zsh)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "vpce-doctor: missing ${need[*]} and not root to install them" >&2
    exit 2
  fi
  echo "installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
