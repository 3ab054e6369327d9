#!/usr/bin/env bash
# Baseline 1, the incident shell: what an on-call engineer types today to answer "can this subnet
# reach its AWS services through the VPC endpoints?", as one script. It runs inside the agent's
# network namespace (bench/baselines.ts runs it with `lab exec`), one command after another as a
# person would, and prints every command's raw output. It draws no conclusion: reading the output
# is the engineer's job, and bench/evidence.ts scores what the output holds.
#
#   VPC_ID=vpc-… SUBNET_ID=subnet-… HOSTS="sts.us-east-1.amazonaws.com …" bash bench/incident-shell.sh
#
# Generous to the shell: short timeouts (dig +time=2 +tries=1, nc -w 2; the defaults wait 15 s
# per name), and the engineer already knows the VPC and the subnet ids.
#
# Every step prints `### STEP <what>`, then the command's output, then `### END rc=N ms=T`.
set -uo pipefail

: "${VPC_ID:?VPC_ID: the VPC id}" "${SUBNET_ID:?SUBNET_ID: the workload subnet id}" "${HOSTS:?HOSTS: service hostnames}"
AWS_CLI="${AWS_CLI:-/usr/bin/aws}"
REGION="${AWS_REGION:-us-east-1}"
# The Debian AWS CLI (2.9) predates the AWS_ENDPOINT_URL variable: pass moto's address as a flag.
endpoint=()
[ -n "${AWS_ENDPOINT_URL:-}" ] && endpoint=(--endpoint-url "$AWS_ENDPOINT_URL")

now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }

# step WHAT CMD…: runs CMD, prints its output framed, and leaves it in $out.
out=''
step() {
  local what=$1 start rc
  shift
  start=$(now_ms)
  out=$("$@" 2>&1)
  rc=$?
  printf '### STEP %s\n%s\n### END rc=%s ms=%s\n' "$what" "$out" "$rc" "$(($(now_ms) - start))"
}

ec2() { "$AWS_CLI" "${endpoint[@]}" --region "$REGION" --output json ec2 "$@"; }

# 1. DNS: what does the resolver in resolv.conf answer for each service?
answers=()
for host in $HOSTS; do
  step "dig $host" dig +time=2 +tries=1 "$host" A
  answers+=($(awk '$4 == "A" { print $5 }' <<<"$out"))
done

# 2. The endpoints, then their network interfaces for the ENI addresses.
step "describe-vpc-endpoints" ec2 describe-vpc-endpoints --filters "Name=vpc-id,Values=$VPC_ID"
eni_ids=($(grep -o '"eni-[0-9a-f]*"' <<<"$out" | tr -d '"' | sort -u))
eni_ips=()
if [ ${#eni_ids[@]} -gt 0 ]; then
  step "describe-network-interfaces" ec2 describe-network-interfaces --network-interface-ids "${eni_ids[@]}"
  eni_ips=($(sed -n 's/.*"PrivateIpAddress": "\([0-9.]*\)".*/\1/p' <<<"$out" | sort -u))
fi

# 3. TCP 443 to every ENI and to every address DNS answered (gateway services have no ENI).
for ip in $(printf '%s\n' "${eni_ips[@]}" "${answers[@]}" | awk 'NF && !seen[$0]++'); do
  step "nc $ip 443" nc -z -w 2 "$ip" 443
done

# 4. The configuration an engineer reads next.
step "describe-vpc-attribute enableDnsSupport" ec2 describe-vpc-attribute --vpc-id "$VPC_ID" --attribute enableDnsSupport
step "describe-vpc-attribute enableDnsHostnames" ec2 describe-vpc-attribute --vpc-id "$VPC_ID" --attribute enableDnsHostnames
step "describe-subnets" ec2 describe-subnets --subnet-ids "$SUBNET_ID"
step "describe-route-tables" ec2 describe-route-tables --filters "Name=vpc-id,Values=$VPC_ID"
step "describe-security-groups" ec2 describe-security-groups --filters "Name=vpc-id,Values=$VPC_ID"
step "describe-network-acls" ec2 describe-network-acls --filters "Name=vpc-id,Values=$VPC_ID"
