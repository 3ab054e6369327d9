// Network ACLs where the path crosses a subnet boundary, in both directions: the request to
// port 443 and the stateless return traffic to the agent's ephemeral port.
import type { NetworkAcl, NetworkAclEntry } from '@aws-sdk/client-ec2';
import {
  type AclDecision,
  aclForSubnet,
  DEFAULT_DENY_RULE_NUMBER,
  describeAclEntry,
  evaluateAcl,
  type PortRange,
} from '../src/eval/nacl.js';
import { endpointEnis, targetEndpoint, workloadAddresses } from '../src/inventory-view.js';
import type { Check, CheckInput, Finding, TargetObservations } from '../src/model.js';
import { boundaryAddresses, ipInCidr } from '../src/net/ip.js';
import { gapFinding, gatewayPrefixList } from './shared.js';

/** Linux's default net.ipv4.ip_local_port_range: the ports the return traffic is addressed to. */
export const LINUX_EPHEMERAL: PortRange = { from: 32768, to: 60999 };

interface Leg {
  side: 'agent' | 'endpoint';
  acl: NetworkAcl;
  subnetId: string;
  egress: boolean;
  ports: PortRange;
  peer: string;
  /** The CIDR a fix should open to: the peer's subnet or prefix-list entry, else the peer /32. */
  peerCidr: string;
  /** e.g. `the request from 10.0.1.10 to 10.0.11.23:443` */
  flow: string;
  ephemeralSource?: string;
  decision: AclDecision;
}

function ephemeralFor(observations: TargetObservations, ip: string, port: number) {
  const seen = observations.tcp.find(
    (tcp) => tcp.address === ip && tcp.port === port && tcp.localPort !== undefined,
  );
  return seen?.localPort !== undefined
    ? { ports: { from: seen.localPort, to: seen.localPort }, source: 'the local port the TCP probe used' }
    : { ports: LINUX_EPHEMERAL, source: 'Linux default ephemeral range 32768-60999' };
}

function portsText(ports: PortRange): string {
  return ports.from === ports.to ? String(ports.from) : `${ports.from}-${ports.to}`;
}

function subnetCidr(input: CheckInput, subnetId: string | undefined, fallbackIp: string): string {
  const subnets = input.inventory.subnets.ok ? input.inventory.subnets.value : [];
  const cidr = subnets.find((s) => s.SubnetId === subnetId)?.CidrBlock;
  return cidr && ipInCidr(fallbackIp, cidr) ? cidr : `${fallbackIp}/32`;
}

function freeRuleNumber(acl: NetworkAcl, egress: boolean, denied: NetworkAclEntry): number | undefined {
  const used = new Set((acl.Entries ?? []).filter((e) => e.Egress === egress).map((e) => e.RuleNumber ?? 0));
  const deniedNumber = denied.RuleNumber ?? DEFAULT_DENY_RULE_NUMBER;
  if (deniedNumber === DEFAULT_DENY_RULE_NUMBER) {
    const highest = Math.max(0, ...[...used].filter((n) => n < DEFAULT_DENY_RULE_NUMBER));
    for (let n = Math.min(highest + 10, DEFAULT_DENY_RULE_NUMBER - 1); n > 0; n--) if (!used.has(n)) return n;
    return undefined;
  }
  for (let n = deniedNumber - 1; n > 0; n--) if (!used.has(n)) return n;
  return undefined;
}

function legFix(leg: Leg): string {
  const denied = leg.decision.deniedBy!;
  const direction = leg.egress ? '--egress' : '--ingress';
  // Return traffic: open the ephemeral range AWS recommends for clients, not only the one port seen.
  const ports = leg.ephemeralSource ? { from: 1024, to: 65535 } : leg.ports;
  const entry = `--protocol tcp --port-range From=${ports.from},To=${ports.to} --cidr-block ${leg.peerCidr} --rule-action allow`;
  const aclId = leg.acl.NetworkAclId;
  const number = freeRuleNumber(leg.acl, leg.egress, denied);
  if (number === undefined) {
    return `aws ec2 replace-network-acl-entry --network-acl-id ${aclId} ${direction} --rule-number ${denied.RuleNumber} ${entry}`;
  }
  const before =
    denied.RuleNumber === DEFAULT_DENY_RULE_NUMBER
      ? 'before the default deny'
      : `before rule ${denied.RuleNumber}`;
  return `aws ec2 create-network-acl-entry --network-acl-id ${aclId} ${direction} --rule-number ${number} ${entry} (${before})`;
}

function legEvidence(leg: Leg) {
  return {
    side: leg.side,
    aclId: leg.acl.NetworkAclId,
    subnetId: leg.subnetId,
    direction: leg.egress ? 'outbound' : 'inbound',
    ports: portsText(leg.ports),
    peer: leg.peer,
    flow: leg.flow,
    ephemeralPorts: leg.ephemeralSource ?? null,
    allowed: leg.decision.allowed,
    deniedBy: leg.decision.deniedBy ? describeAclEntry(leg.decision.deniedBy) : null,
    deniedPorts: leg.decision.deniedPorts ? portsText(leg.decision.deniedPorts) : null,
    allowedBy: leg.decision.allowedBy.map(describeAclEntry),
  };
}

type LegSpec = Omit<Leg, 'decision'>;

function decide(spec: LegSpec): Leg {
  return {
    ...spec,
    decision: evaluateAcl(spec.acl, {
      egress: spec.egress,
      protocol: 6,
      ports: spec.ports,
      cidrIp: spec.peer,
    }),
  };
}

function legsTo(
  input: CheckInput,
  agentAcl: NetworkAcl,
  ip: string,
  port: number,
  peerCidr: string,
): LegSpec[] {
  const { context } = input;
  const ephemeral = ephemeralFor(input.observations, ip, port);
  return [
    {
      side: 'agent',
      acl: agentAcl,
      subnetId: context.subnetId,
      egress: true,
      ports: { from: port, to: port },
      peer: ip,
      peerCidr,
      flow: `the request from ${context.privateIp} to ${ip}:${port}`,
    },
    {
      side: 'agent',
      acl: agentAcl,
      subnetId: context.subnetId,
      egress: false,
      ports: ephemeral.ports,
      peer: ip,
      peerCidr,
      flow: `the return traffic from ${ip}:${port} to ${context.privateIp}:${portsText(ephemeral.ports)}`,
      ephemeralSource: ephemeral.source,
    },
  ];
}

function unknown(message: string, fix: string, evidence: Record<string, unknown>): Finding {
  return { check: 'nacl', code: 'NACL_UNKNOWN', status: 'unknown', message, fix, evidence };
}

function interfaceLegs(
  input: CheckInput,
  acls: NetworkAcl[],
  agentAcl: NetworkAcl,
): { legs: Leg[]; skipped: string[] } | Finding {
  const { inventory, target, context } = input;
  if (!inventory.endpoints.ok)
    return gapFinding('nacl', 'NACL_UNKNOWN', inventory.endpoints.gap, `read ${target.endpointId}`);
  if (!inventory.endpointInterfaces.ok) {
    return gapFinding(
      'nacl',
      'NACL_UNKNOWN',
      inventory.endpointInterfaces.gap,
      `read the ENIs of ${target.endpointId}`,
    );
  }
  const endpoint = targetEndpoint(inventory, target);
  if (!endpoint) return { legs: [], skipped: [] };
  const legs: Leg[] = [];
  const skipped: string[] = [];
  for (const eni of endpointEnis(inventory.endpointInterfaces.value, endpoint)) {
    const ip = eni.PrivateIpAddress;
    if (!ip) continue;
    // AWS does not evaluate network ACLs between two addresses of the same subnet.
    if (eni.SubnetId === context.subnetId) {
      skipped.push(`${eni.NetworkInterfaceId} ${ip}`);
      continue;
    }
    const endpointAcl = aclForSubnet(acls, eni.SubnetId ?? '', context.vpcId);
    if (!endpointAcl) {
      return unknown(
        `no network ACL of ${context.vpcId} is associated with ${eni.SubnetId} (${eni.NetworkInterfaceId} of ${endpoint.VpcEndpointId})`,
        `aws ec2 describe-network-acls --filters Name=association.subnet-id,Values=${eni.SubnetId}`,
        { subnetId: eni.SubnetId },
      );
    }
    const agentCidr = subnetCidr(input, context.subnetId, context.privateIp);
    const eniCidr = subnetCidr(input, eni.SubnetId, ip);
    for (const port of target.ports) {
      const ephemeral = ephemeralFor(input.observations, ip, port);
      const specs: LegSpec[] = [
        ...legsTo(input, agentAcl, ip, port, eniCidr),
        {
          side: 'endpoint',
          acl: endpointAcl,
          subnetId: eni.SubnetId ?? '?',
          egress: false,
          ports: { from: port, to: port },
          peer: context.privateIp,
          peerCidr: agentCidr,
          flow: `the request from ${context.privateIp} to ${ip}:${port}`,
        },
        {
          side: 'endpoint',
          acl: endpointAcl,
          subnetId: eni.SubnetId ?? '?',
          egress: true,
          ports: ephemeral.ports,
          peer: context.privateIp,
          peerCidr: agentCidr,
          flow: `the return traffic from ${ip}:${port} to ${context.privateIp}:${portsText(ephemeral.ports)}`,
          ephemeralSource: ephemeral.source,
        },
      ];
      legs.push(...specs.map(decide));
    }
  }
  return { legs, skipped };
}

function addressLegs(input: CheckInput, agentAcl: NetworkAcl): { legs: Leg[]; skipped: string[] } | Finding {
  const { inventory, target } = input;
  const resolved = workloadAddresses(input.observations.dns);
  let samples = resolved.map((ip) => ({ ip, cidr: `${ip}/32` }));
  if (samples.length === 0 && target.endpointType === 'Gateway') {
    const pl = gatewayPrefixList(input, targetEndpoint(inventory, target));
    if (pl.gap) {
      return gapFinding(
        'nacl',
        'NACL_UNKNOWN',
        pl.gap,
        `read the entries of ${pl.prefixListId ?? 'the prefix list'}`,
      );
    }
    const boundaries = (agentAcl.Entries ?? []).flatMap((e) => (e.CidrBlock ? [e.CidrBlock] : []));
    samples = (pl.info?.cidrs ?? []).flatMap((cidr) =>
      boundaryAddresses(cidr, boundaries).map((ip) => ({ ip, cidr })),
    );
  } else if (target.endpointType === 'Gateway') {
    const lists = inventory.prefixLists.ok ? inventory.prefixLists.value : [];
    const pl = gatewayPrefixList(input, targetEndpoint(inventory, target));
    const cidrs = pl.info?.cidrs ?? lists.flatMap((l) => l.cidrs);
    samples = samples.map(({ ip, cidr }) => ({ ip, cidr: cidrs.find((c) => ipInCidr(ip, c)) ?? cidr }));
  }
  const legs = samples.flatMap(({ ip, cidr }) =>
    target.ports.flatMap((port) => legsTo(input, agentAcl, ip, port, cidr).map(decide)),
  );
  return { legs, skipped: [] };
}

/** Both subnets' network ACLs, both directions, wherever the path crosses a subnet boundary. */
export const checkNacl: Check = (input) => {
  const { inventory, context, target } = input;
  if (target.endpointType === 'GatewayLoadBalancer') return [];
  if (!inventory.networkAcls.ok) {
    return [
      gapFinding(
        'nacl',
        'NACL_UNKNOWN',
        inventory.networkAcls.gap,
        `read the network ACL of ${context.subnetId}`,
      ),
    ];
  }
  const acls = inventory.networkAcls.value;
  const agentAcl = aclForSubnet(acls, context.subnetId, context.vpcId);
  if (!agentAcl) {
    return [
      unknown(
        `no network ACL of ${context.vpcId} is associated with the agent's ${context.subnetId}`,
        `aws ec2 describe-network-acls --filters Name=association.subnet-id,Values=${context.subnetId}`,
        { subnetId: context.subnetId },
      ),
    ];
  }
  const result =
    target.endpointType === 'Interface' ? interfaceLegs(input, acls, agentAcl) : addressLegs(input, agentAcl);
  if (!('legs' in result)) return [result];
  const { legs, skipped } = result;
  const findings: Finding[] = [];
  const denied = new Map<string, Leg[]>();
  for (const leg of legs.filter((l) => !l.decision.allowed)) {
    const key = `${leg.side}|${leg.acl.NetworkAclId}|${leg.egress}|${leg.decision.deniedBy?.RuleNumber}`;
    denied.set(key, [...(denied.get(key) ?? []), leg]);
  }
  for (const members of denied.values()) {
    const first = members[0]!;
    const rule = describeAclEntry(first.decision.deniedBy!).replace(/^rule (\S+) deny/, 'rule $1 denies');
    const flows = [...new Set(members.map((m) => m.flow))];
    const flowText =
      flows.length > 2 ? `${flows.slice(0, 2).join('; ')} and ${flows.length - 2} more` : flows.join('; ');
    const ephemeral = first.ephemeralSource ? ` (ports: ${first.ephemeralSource})` : '';
    findings.push({
      check: 'nacl',
      code: first.side === 'agent' ? 'NACL_AGENT_SUBNET_DENIED' : 'NACL_ENDPOINT_SUBNET_DENIED',
      status: 'fail',
      message: `${first.acl.NetworkAclId} (${first.side === 'agent' ? "agent's" : 'endpoint'} ${first.subnetId}) ${rule} — ${flowText}${ephemeral}`,
      fix: [...new Set(members.map(legFix))].join('; '),
      evidence: { legs: members.map(legEvidence), skippedSameSubnet: skipped },
    });
  }
  if (findings.length > 0) return findings;
  if (legs.length === 0 && skipped.length === 0) return [];
  const acls_ = [...new Set(legs.map((l) => l.acl.NetworkAclId))];
  const message =
    legs.length === 0
      ? `not evaluated: every ENI of ${target.endpointId} is in the agent's ${context.subnetId} (ACLs apply only across subnets)`
      : `${acls_.join(' and ')} allow tcp ${target.ports.join(',')} out and the return traffic back for ${[...new Set(legs.map((l) => (l.peer === context.privateIp ? undefined : l.peer)).filter(Boolean))].join(', ')}${skipped.length > 0 ? `; same-subnet ENIs not evaluated: ${skipped.join(', ')}` : ''}`;
  return [
    {
      check: 'nacl',
      code: 'NACL_OK',
      status: 'pass',
      message,
      evidence: { legs: legs.map(legEvidence), skippedSameSubnet: skipped },
    },
  ];
};
