#!/usr/bin/env bash
# The lab's Debian packages, plus what the benchmarks compare the agent with and measure it by:
# the AWS CLI and blackbox_exporter (the baselines), GNU time (peak RSS), wrk (bench:serve) and
# DejaVu fonts (the plot). test/lab/host-deps.sh installs whatever is missing, in one apt run.
set -euo pipefail
need=()
# Debian's own CLI at /usr/bin/aws: a pyenv or pip `aws` earlier on PATH is not what we measure.
[ -x /usr/bin/aws ] || need+=(awscli)
[ -x /usr/bin/prometheus-blackbox-exporter ] || need+=(prometheus-blackbox-exporter)
[ -x /usr/bin/time ] || need+=(time)
command -v wrk >/dev/null || need+=(wrk)
[ -d /usr/share/fonts/truetype/dejavu ] || need+=(fonts-dejavu-core)
exec bash "$(dirname "$0")/../test/lab/host-deps.sh" "${need[@]}"
