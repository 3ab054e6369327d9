// Whether a TCP connection to the target opens, summarised over every address probed (each
// ENI of an interface endpoint, or the resolved addresses of a gateway service). One failing
// ENI of two is still a failure: the resolver hands that address out to some clients.

import { endpointGroupIds, targetEndpoint } from '../src/inventory-view.js';
import type { Check, CheckInput, Finding, TcpObservation, TcpOutcome } from '../src/model.js';
import { hostPort } from '../src/net/ip.js';

/** Which failure names the finding when addresses fail differently: silent drops first. */
const PRECEDENCE: TcpOutcome[] = ['timeout', 'unreachable', 'refused', 'error'];

const CODES: Record<TcpOutcome, string> = {
  connected: 'TCP_CONNECT_OK',
  timeout: 'TCP_TIMEOUT',
  unreachable: 'TCP_UNREACHABLE',
  refused: 'TCP_REFUSED',
  error: 'TCP_ERROR',
};

function endpoint(o: TcpObservation): string {
  return hostPort(o.address, o.port);
}

function ms(value: number): string {
  return `${Math.round(value * 10) / 10} ms`;
}

function fixFor(outcome: TcpOutcome, input: CheckInput, failing: TcpObservation[]): string {
  const { context, target, inventory } = input;
  const ports = [...new Set(failing.map((o) => o.port))].join(',');
  const vpce = targetEndpoint(inventory, target);
  const groups = vpce ? endpointGroupIds(vpce) : [];
  const agentGroup = context.securityGroupIds[0] ?? 'sg-agent';
  switch (outcome) {
    case 'timeout':
      return target.endpointType === 'Interface' && groups.length > 0
        ? `packets are dropped silently: allow tcp/${ports} from ${agentGroup} (${context.privateIp}) into ${groups.join(', ')}: aws ec2 authorize-security-group-ingress --group-id ${groups[0]} --protocol tcp --port ${ports} --source-group ${agentGroup}; also check ${agentGroup}'s egress and both subnets' network ACLs (the sg and nacl findings name the rule)`
        : `packets are dropped silently: check ${agentGroup}'s egress to ${failing.map((o) => o.address).join(', ')} on tcp/${ports}, the network ACL of ${context.subnetId}, and the route for these addresses (the route, sg and nacl findings name the cause)`;
    case 'refused':
      return target.service.startsWith('com.amazonaws.vpce.')
        ? `something answered with a reset: the endpoint service's load balancer has no listener on tcp/${ports}, or a firewall REJECTs; check the NLB listeners of ${target.service}`
        : `something answered with a reset: AWS endpoint ENIs always listen on 443, so look for a host firewall REJECT rule on this host (iptables -S; nft list ruleset) or a proxy in the path`;
    case 'unreachable':
      return `no route to ${failing.map((o) => o.address).join(', ')}: check the route table of ${context.subnetId} (aws ec2 describe-route-tables --filters Name=association.subnet-id,Values=${context.subnetId}) and any host firewall rejecting with ICMP unreachable`;
    default:
      return `the connection failed with ${failing.map((o) => o.errorCode ?? 'an error').join(', ')}: rerun; if it persists, capture the handshake (tcpdump -ni any host ${failing[0]?.address ?? '…'} and port ${ports})`;
  }
}

export const checkTcp: Check = (input) => {
  const observations = input.observations.tcp;
  if (observations.length === 0) return [];
  const evidence = {
    addresses: observations.map((o) => ({
      address: o.address,
      port: o.port,
      outcome: o.outcome,
      durationMs: o.durationMs,
      ...(o.errorCode ? { errorCode: o.errorCode } : {}),
      ...(o.localPort !== undefined ? { localPort: o.localPort } : {}),
    })),
  };
  const durationMs = Math.max(...observations.map((o) => o.durationMs));
  const failing = observations.filter((o) => o.outcome !== 'connected');
  if (failing.length === 0) {
    return [
      {
        check: 'tcp',
        code: 'TCP_CONNECT_OK',
        status: 'pass',
        message: `${input.target.shortName}: connected to ${observations.map((o) => `${endpoint(o)} (${ms(o.durationMs)})`).join(', ')}`,
        evidence,
        durationMs,
      },
    ];
  }
  const outcome = PRECEDENCE.find((p) => failing.some((o) => o.outcome === p)) ?? 'error';
  const connected = observations.filter((o) => o.outcome === 'connected');
  const partial = connected.length > 0 ? `; ${connected.map(endpoint).join(', ')} connected` : '';
  const finding: Finding = {
    check: 'tcp',
    code: CODES[outcome],
    status: 'fail',
    message: `${input.target.shortName}: ${failing.map((o) => `${endpoint(o)} ${o.outcome}${o.outcome === 'timeout' ? ` after ${ms(o.durationMs)}` : ''}`).join(', ')}${partial}`,
    fix: fixFor(
      outcome,
      input,
      failing.filter((o) => o.outcome === outcome),
    ),
    evidence,
    durationMs,
  };
  return [finding];
};
