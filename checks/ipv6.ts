// IPv6 and dual-stack (issue 16): which family the workload uses first, endpoints that answer
// in one family only, and the IPv6 side of the path (security groups, network ACL IPv6 entries,
// IPv6 routes) for every IPv6 address the probes connected to. It reads what src/probe-ipv6.ts
// observed (observations.ipv6) and says nothing when nothing IPv6 is involved, so an IPv4-only
// VPC's report is what it was before. Its findings carry the check they belong to (dns, tcp,
// tls, endpoint, sg, nacl, route, sdk) so the verdict joins them like the IPv4 ones.
import type { NetworkAcl } from '@aws-sdk/client-ec2';
import type { Sg6Decision } from '../src/eval/ipv6-path.js';
import {
  type Acl6Coverage,
  decideAcl6,
  describeAclEntry6,
  describeRoute6,
  describeRules6,
  evaluateAcl6,
  evaluateRoute6,
  evaluateSecurityGroups6,
} from '../src/eval/ipv6-path.js';
import { aclForSubnet, EPHEMERAL_PORTS, type PortRange } from '../src/eval/nacl.js';
import { effectiveRouteTable } from '../src/eval/routes.js';
import type { Sg6Rule } from '../src/fixes/ipv6.js';
import type { AclChange } from '../src/fixes/nacl.js';
import { endpointEnis, endpointGroupIds, targetEndpoint } from '../src/inventory-view.js';
import {
  agentSubnetHasIpv6,
  endpointDnsRecordIpType,
  endpointIpAddressType,
  findSubnet,
  interfaceIpv6Addresses,
  subnetIpv6Cidrs,
} from '../src/ipv6-view.js';
import type { Check, CheckInput, DnsObservation, Finding, Gap, TcpObservation } from '../src/model.js';
import { canonicalIpv6, ipInCidrAnyFamily } from '../src/net/ip.js';
import { checkTcp } from './tcp.js';
import { checkTls } from './tls.js';

/**
 * Which family a dual-stack client tries first, and why (docs/findings.md, DNS_FAMILY_ORDER):
 * - glibc's getaddrinfo sorts answers by its default precedence table (RFC 3484's, in
 *   sysdeps/posix/getaddrinfo.c, changed by /etc/gai.conf): ::/0 precedence 40 above IPv4
 *   (::ffff:0:0/96, 10), with no row of its own for unique-local fc00::/7 — so any IPv6
 *   destination, ULA too, before IPv4. RFC 6724's table (3 for ULA, 35 for IPv4) puts ULA after
 *   IPv4: C libraries that follow it differ there, and the finding says so.
 * - getaddrinfo returns AAAA only when the host has an IPv6 address: Node's net.connect passes
 *   AI_ADDRCONFIG when no family is given (lib/net.js, lookupAndConnect, not on Windows).
 * - Node ≥17 keeps that order (dns.lookup `order: 'verbatim'`, `--dns-result-order`); Node ≥20
 *   connects with Happy Eyeballs (`autoSelectFamily`, 250 ms per attempt) in that order.
 * - The AWS SDK for JavaScript v3 (@smithy/node-http-handler) calls https.request with the host
 *   name and no family or lookup: the same order and fallback. With `useDualstackEndpoint` it calls
 *   the dual-stack name (`{service}.{region}.api.aws`, the partition's dualStackDnsSuffix).
 */
const ULA = 'fc00::/7';

export interface FamilyOrder {
  first: 'ipv6' | 'ipv4';
  reason: string;
}

/** The family a dual-stack client with an IPv6 address (or without one) tries first for these answers. */
export function familyFirst(aaaa: string[], a: string[], hostHasIpv6: boolean): FamilyOrder {
  if (aaaa.length === 0) return { first: 'ipv4', reason: 'the name has no AAAA record' };
  if (!hostHasIpv6)
    return {
      first: 'ipv4',
      reason:
        'the subnet has no IPv6 block, so the host has no IPv6 address and getaddrinfo (AI_ADDRCONFIG) returns no AAAA',
    };
  if (a.length === 0) return { first: 'ipv6', reason: 'the name has AAAA records only' };
  if (aaaa.every((address) => ipInCidrAnyFamily(address, ULA)))
    return {
      first: 'ipv6',
      reason:
        "glibc's default table (RFC 3484, /etc/gai.conf) ranks IPv6 (40) above IPv4 (10), unique-local fc00::/7 included; a C library that follows RFC 6724's table (ULA 3, IPv4 35) tries IPv4 first for these unique-local addresses",
    };
  return {
    first: 'ipv6',
    reason:
      'RFC 6724 ranks a global IPv6 destination (precedence 40) above IPv4 (35); Node keeps that order (verbatim) and tries IPv6 first, falling back to IPv4 after 250 ms (Happy Eyeballs, Node ≥20)',
  };
}

/** The answers of the workload's own resolvers (resolv.conf, else configured), else any that answered. */
function workloadAnswers(observations: DnsObservation[]): string[] {
  const answered = observations.filter((o) => o.outcome === 'answer');
  for (const source of ['resolv.conf', 'config'] as const) {
    const own = answered.filter((o) => o.resolver.source === source);
    if (own.length > 0) return [...new Set(own.flatMap((o) => o.addresses))];
  }
  return [...new Set(answered.flatMap((o) => o.addresses))];
}

function timedOut(tcp: TcpObservation[], address?: string): TcpObservation[] {
  return tcp.filter(
    (o) => (o.outcome === 'timeout' || o.outcome === 'unreachable') && (!address || o.address === address),
  );
}

/** IPv6 TCP and TLS findings: the IPv4 checks' own judgement over the IPv6 observations, marked ipv6. */
function probeFindings(input: CheckInput): Finding[] {
  const six = input.observations.ipv6!;
  const view: CheckInput = { ...input, observations: { dns: six.dns, tcp: six.tcp, tls: six.tls } };
  return [...checkTcp(view), ...checkTls(view)].map((f) => ({
    ...f,
    message: `${f.message} (over IPv6)`,
    evidence: { ...f.evidence, family: 'ipv6' },
  }));
}

export const checkIpv6: Check = (input) => {
  const { target, context, inventory, observations } = input;
  const findings: Finding[] = [...checkDualstackNames(input)];
  const six = observations.ipv6;
  if (!six) return findings;
  const endpoint = targetEndpoint(inventory, target);
  const hasIpv6 = agentSubnetHasIpv6(inventory, context.subnetId);
  const aaaa = workloadAnswers(
    six.dns.filter((o) => o.recordType === 'AAAA' && o.hostname === target.hostname),
  );
  const a = workloadAnswers(observations.dns);
  const endpointType = endpoint ? endpointIpAddressType(endpoint) : 'ipv4';
  // A name with AAAA answers says nothing about a workload without an IPv6 address (the subnet
  // has no IPv6 block, or it was not read): only an endpoint that is not IPv4 still matters there.
  const involved = (hasIpv6 === true && (aaaa.length > 0 || six.tcp.length > 0)) || endpointType !== 'ipv4';
  if (!involved) return findings;

  if (aaaa.length > 0) findings.push(familyOrderFinding(input, aaaa, a, hasIpv6 === true));
  findings.push(...endpointFindings(input, aaaa, hasIpv6));
  if (six.tcp.length > 0) {
    findings.push(...probeFindings(input));
    findings.push(...pathFindings(input));
  }
  return findings;
};

function familyOrderFinding(input: CheckInput, aaaa: string[], a: string[], hostHasIpv6: boolean): Finding {
  const { target } = input;
  const order = familyFirst(aaaa, a, hostHasIpv6);
  return {
    check: 'dns',
    code: 'DNS_FAMILY_ORDER',
    status: 'info',
    message: `${target.shortName}: ${target.hostname} has AAAA ${aaaa.join(', ')}${a.length > 0 ? ` and A ${a.join(', ')}` : ''}; the workload tries ${order.first === 'ipv6' ? 'IPv6' : 'IPv4'} first: ${order.reason}`,
    evidence: {
      hostname: target.hostname,
      a,
      aaaa,
      first: order.first,
      reason: order.reason,
      agentSubnetHasIpv6: hostHasIpv6,
      overrides:
        'node --dns-result-order=ipv4first (or dns.setDefaultResultOrder) puts IPv4 first; net.setDefaultAutoSelectFamily(false) turns Happy Eyeballs off; /etc/gai.conf changes the order for getaddrinfo',
    },
  };
}

/**
 * Endpoints that answer in one family while the workload uses the other: an IPv6-only endpoint
 * seen from an IPv4-only subnet; an IPv4-only endpoint whose name has AAAA answers elsewhere, so
 * a dual-stack workload's IPv6 connection goes around the endpoint.
 */
function endpointFindings(input: CheckInput, aaaa: string[], hasIpv6: boolean | undefined): Finding[] {
  const { target, context, inventory, observations } = input;
  const endpoint = targetEndpoint(inventory, target);
  if (!endpoint || target.endpointType !== 'Interface') return [];
  const ipAddressType = endpointIpAddressType(endpoint);
  const recordType = endpointDnsRecordIpType(endpoint);
  const id = endpoint.VpcEndpointId ?? target.endpointId ?? '?';
  const evidence = {
    endpointId: id,
    ipAddressType,
    dnsRecordIpType: recordType,
    agentSubnetId: context.subnetId,
  };
  if (ipAddressType === 'ipv6' && hasIpv6 === false) {
    return [
      {
        check: 'endpoint',
        code: 'ENDPOINT_IPV6_ONLY_AGENT_IPV4',
        status: 'fail',
        message: `${target.shortName}: ${id} is IPv6-only (IpAddressType ipv6) but the agent's subnet ${context.subnetId} has no IPv6 block: the workload here has no address to reach it from, and the name has no A record for it`,
        fix: `Give ${context.subnetId} an IPv6 block (aws ec2 associate-subnet-cidr-block --subnet-id ${context.subnetId} --ipv6-cidr-block <a /64 of the VPC's block>) and an IPv6 address to the workload, or make the endpoint dual-stack: aws ec2 modify-vpc-endpoint --vpc-endpoint-id ${id} --ip-address-type dualstack --dns-options DnsRecordIpType=dualstack`,
        evidence,
      },
    ];
  }
  if (!inventory.endpointInterfaces.ok || hasIpv6 !== true || aaaa.length === 0) return [];
  const enis6 = interfaceIpv6Addresses(inventory, target);
  if (enis6.length > 0) return [];
  const others = aaaa.filter((address) => !enis6.includes(canonicalIpv6(address) ?? address));
  if (others.length === 0) return [];
  const failed = timedOut(observations.ipv6?.tcp ?? []).filter((o) => others.includes(o.address));
  return [
    {
      check: 'endpoint',
      code: 'ENDPOINT_IPV4_ONLY_AAAA_FIRST',
      status: failed.length > 0 ? 'fail' : 'warn',
      message: `${target.shortName}: ${id} is IPv4-only (IpAddressType ${ipAddressType}, its ENIs have no IPv6 address), yet ${target.hostname} has AAAA ${others.join(', ')}: a dual-stack workload in ${context.subnetId} tries IPv6 first and ${failed.length > 0 ? `its IPv6 connection fails (${failed.map((o) => `${o.address} ${o.outcome}`).join(', ')})` : 'goes around the endpoint (no endpoint policy, no private path)'}`,
      fix: `Make the endpoint dual-stack so the name's AAAA records are its ENIs: aws ec2 modify-vpc-endpoint --vpc-endpoint-id ${id} --ip-address-type dualstack --dns-options DnsRecordIpType=dualstack (its subnets need IPv6 blocks); or find why the resolver answers AAAA for the name (a private hosted zone or resolver rule of your own), or start the workload with node --dns-result-order=ipv4first`,
      evidence: {
        ...evidence,
        aaaa: others,
        ipv6Failures: failed.map((o) => ({ address: o.address, port: o.port, outcome: o.outcome })),
        explainsObserved: failed.length > 0,
      },
    },
  ];
}

// ── the IPv6 path ──────────────────────────────────────────────────────────────────────────

interface Leg {
  acl: string;
  /** The block a fix admits: the agent's /64, or the endpoint subnet's block for an ENI's address. */
  fixCidr: string;
  /** The number of the rule that drops (the IPv6 default deny is 32768). */
  deniedNumber?: number;
  subnetId: string;
  direction: 'inbound' | 'outbound';
  ports: PortRange;
  peer: string;
  decision: string;
  deniedBy?: string[];
  undecidedBy?: string;
  allowedBy: string[];
}

function pathFindings(input: CheckInput): Finding[] {
  return [...securityGroupFindings(input), ...aclFindings(input), ...routeFindings(input)];
}

function agentBlock(input: CheckInput): string | undefined {
  return subnetIpv6Cidrs(findSubnet(input.inventory, input.context.subnetId))[0];
}

/** The probed IPv6 addresses, each with the endpoint ENI's subnet when it is one. */
function probedAddresses(input: CheckInput): Array<{ address: string; port: number; subnetId?: string }> {
  const { inventory, target } = input;
  const endpoint = targetEndpoint(inventory, target);
  const enis =
    endpoint && inventory.endpointInterfaces.ok
      ? endpointEnis(inventory.endpointInterfaces.value, endpoint)
      : [];
  return (input.observations.ipv6?.tcp ?? []).map((o) => {
    const eni = enis.find((e) =>
      (e.Ipv6Addresses ?? []).some((a) => canonicalIpv6(a.Ipv6Address ?? '') === o.address),
    );
    return { address: o.address, port: o.port, ...(eni?.SubnetId ? { subnetId: eni.SubnetId } : {}) };
  });
}

function securityGroupFindings(input: CheckInput): Finding[] {
  const { inventory, context, target } = input;
  const tcp = input.observations.ipv6?.tcp ?? [];
  if (!inventory.securityGroups.ok)
    return [unreadable('sg', 'SG_UNKNOWN', input, inventory.securityGroups.gap)];
  const block = agentBlock(input);
  if (!block) return [];
  const groups = inventory.securityGroups.value;
  const pick = (ids: string[]) => groups.filter((g) => g.GroupId !== undefined && ids.includes(g.GroupId));
  const endpoint = targetEndpoint(inventory, target);
  const endpointIds = endpoint && target.endpointType === 'Interface' ? endpointGroupIds(endpoint) : [];
  const agentGroups = pick(context.securityGroupIds);
  const endpointGroups = pick(endpointIds);
  const prefixLists = inventory.prefixLists.ok ? inventory.prefixLists.value : [];
  const flows = probedAddresses(input).map(({ address, port, subnetId }) => {
    const egress =
      context.securityGroupIds.length === 0
        ? undefined
        : evaluateSecurityGroups6(
            agentGroups,
            { direction: 'egress', port, peer: address, peerGroupIds: subnetId ? endpointIds : [] },
            prefixLists,
          );
    // Ingress applies where the address is an endpoint ENI (AWS's public addresses have no group of ours).
    const ingress = subnetId
      ? evaluateSecurityGroups6(
          endpointGroups,
          { direction: 'ingress', port, peer: block, peerGroupIds: context.securityGroupIds },
          prefixLists,
        )
      : undefined;
    return { address, port, ...(subnetId ? { subnetId } : {}), egress, ingress };
  });
  const evidence = {
    family: 'ipv6',
    agentBlock: block,
    agentGroups: context.securityGroupIds,
    endpointGroups: endpointIds,
    agentEgressRules: describeRules6(agentGroups, 'egress'),
    endpointIngressRules: describeRules6(endpointGroups, 'ingress'),
    flows,
  };
  const denied = flows.filter((f) => f.egress?.decision === 'denied' || f.ingress?.decision === 'denied');
  if (denied.length > 0) {
    const failed = denied.filter((f) => timedOut(tcp, f.address).length > 0);
    const parts = denied.map((f) =>
      f.ingress?.decision === 'denied'
        ? `${endpointIds.join(', ')} admit no tcp/${f.port} from ${block} (the agent's IPv6 block) to ${f.address}`
        : `${context.securityGroupIds.join(', ')} allow no tcp/${f.port} out to ${f.address}`,
    );
    const ingressDenied = denied.some((f) => f.ingress?.decision === 'denied');
    const rulesToAdd = sgRulesToAdd(input, denied, block, endpointIds);
    return [
      {
        check: 'sg',
        code: 'SG_IPV6_RULE_MISSING',
        status: 'fail',
        message: `${target.shortName}: over IPv6, ${parts.join('; ')}${failed.length > 0 ? ` (the IPv6 probe to ${failed.map((f) => f.address).join(', ')} timed out)` : ''}`,
        fix:
          rulesToAdd.length > 0
            ? `${rulesToAdd.map((r) => `aws ec2 authorize-security-group-${r.direction} --group-id ${r.groupId} --ip-permissions 'IpProtocol=tcp,FromPort=${r.port},ToPort=${r.port},Ipv6Ranges=[{CidrIpv6=${r.cidrIpv6}}]'`).join('; ')}${ingressDenied ? ` (or a reference to ${context.securityGroupIds[0] ?? "the agent's group"} in UserIdGroupPairs, which admits both families)` : ''}`
            : `allow tcp/${denied[0]!.port} over IPv6 to ${denied.map((f) => f.address).join(', ')} in the egress of ${context.securityGroupIds.join(', ')}, or make ${target.endpointId ?? 'the endpoint'} dual-stack so the workload's IPv6 goes to its ENIs`,
        evidence: { ...evidence, rulesToAdd, explainsObserved: failed.length > 0 },
      },
    ];
  }
  const undecided = flows.filter(
    (f) =>
      f.egress?.decision === 'undecided' || f.ingress?.decision === 'undecided' || f.egress === undefined,
  );
  if (undecided.length > 0) {
    const why =
      context.securityGroupIds.length === 0
        ? "the agent's own security groups are not known (set VPCE_DOCTOR_SECURITY_GROUP_IDS)"
        : `a rule covers only part of the agent's IPv6 block ${block} or names a prefix list that could not be read, and the agent's own IPv6 address is not known`;
    return [unknown('sg', 'SG_UNKNOWN', input, `over IPv6: ${why}`, evidence)];
  }
  return [
    {
      check: 'sg',
      code: 'SG_IPV6_OK',
      status: 'pass',
      message: `${target.shortName}: security groups allow tcp over IPv6 from ${block} to ${flows.map((f) => `[${f.address}]:${f.port}`).join(', ')}`,
      evidence,
    },
  ];
}

/** The IPv6 rules that would admit the denied flows: to the endpoint subnet's block, from the agent's. */
function sgRulesToAdd(
  input: CheckInput,
  denied: Array<{
    address: string;
    port: number;
    subnetId?: string;
    egress?: Sg6Decision | undefined;
    ingress?: Sg6Decision | undefined;
  }>,
  block: string,
  endpointIds: string[],
): Sg6Rule[] {
  const { context, inventory } = input;
  const rules = new Map<string, Sg6Rule>();
  const add = (rule: Sg6Rule) => rules.set(JSON.stringify(rule), rule);
  for (const flow of denied) {
    if (flow.ingress?.decision === 'denied' && endpointIds[0])
      add({ groupId: endpointIds[0], direction: 'ingress', port: flow.port, cidrIpv6: block });
    // Egress to an address that is not an endpoint ENI is not a rule to add: the endpoint is the fix.
    if (flow.egress?.decision === 'denied' && context.securityGroupIds[0] && flow.subnetId) {
      const to = subnetIpv6Cidrs(findSubnet(inventory, flow.subnetId))[0] ?? `${flow.address}/128`;
      add({ groupId: context.securityGroupIds[0], direction: 'egress', port: flow.port, cidrIpv6: to });
    }
  }
  return [...rules.values()];
}

/** A read the IPv6 path needs failed: unknown, naming the IAM action and the error. */
function unreadable(check: Finding['check'], code: string, input: CheckInput, gap: Gap): Finding {
  return unknown(check, code, input, `over IPv6: ${gap.action} could not be read (${gap.errorCode})`, {
    gap,
  });
}

function unknown(
  check: Finding['check'],
  code: string,
  input: CheckInput,
  why: string,
  evidence: Record<string, unknown>,
): Finding {
  return {
    check,
    code,
    status: 'unknown',
    message: `${input.target.shortName}: ${why}`,
    fix: "Allow the named EC2 action in the agent's IAM policy, or see the evidence for what was missing",
    evidence: { family: 'ipv6', ...evidence },
  };
}

function aclLegs(
  acl: NetworkAcl,
  subnetId: string,
  legs: Array<{ egress: boolean; ports: PortRange; peer: string; fixCidr: string }>,
): Leg[] {
  return legs.map(({ egress, ports, peer, fixCidr }) => {
    const coverage: Acl6Coverage = evaluateAcl6(acl, { egress, ports, peer });
    const decision = decideAcl6(coverage);
    return {
      acl: acl.NetworkAclId ?? '?',
      fixCidr,
      ...(coverage.denied[0] ? { deniedNumber: coverage.denied[0].rule.RuleNumber ?? 32768 } : {}),
      subnetId,
      direction: egress ? 'outbound' : 'inbound',
      ports,
      peer,
      decision,
      allowedBy: coverage.allowedBy.map(describeAclEntry6),
      ...(coverage.denied.length > 0
        ? {
            deniedBy: coverage.denied.map(
              (d) => `${describeAclEntry6(d.rule)} (ports ${d.ports.from}-${d.ports.to})`,
            ),
          }
        : {}),
      ...(coverage.undecidedBy ? { undecidedBy: describeAclEntry6(coverage.undecidedBy) } : {}),
    };
  });
}

function aclFindings(input: CheckInput): Finding[] {
  const { inventory, context, target } = input;
  const tcp = input.observations.ipv6?.tcp ?? [];
  if (!inventory.networkAcls.ok)
    return [unreadable('nacl', 'NACL_UNKNOWN', input, inventory.networkAcls.gap)];
  const block = agentBlock(input);
  if (!block) return [];
  const acls = inventory.networkAcls.value;
  const ephemeral = EPHEMERAL_PORTS[context.clientKind ?? 'linux'].ports;
  const legs: Leg[] = [];
  const missing: string[] = [];
  for (const { address, port, subnetId } of probedAddresses(input)) {
    // AWS does not apply ACLs inside a subnet.
    if (subnetId === context.subnetId) continue;
    const eniBlock = (subnetId && subnetIpv6Cidrs(findSubnet(inventory, subnetId))[0]) || `${address}/128`;
    const agentAcl = aclForSubnet(acls, context.subnetId, context.vpcId);
    if (!agentAcl) missing.push(context.subnetId);
    else
      legs.push(
        ...aclLegs(agentAcl, context.subnetId, [
          { egress: true, ports: { from: port, to: port }, peer: address, fixCidr: eniBlock },
          { egress: false, ports: ephemeral, peer: address, fixCidr: eniBlock },
        ]),
      );
    if (!subnetId) continue;
    const endpointAcl = aclForSubnet(acls, subnetId, context.vpcId);
    if (!endpointAcl) missing.push(subnetId);
    else
      legs.push(
        ...aclLegs(endpointAcl, subnetId, [
          { egress: false, ports: { from: port, to: port }, peer: block, fixCidr: block },
          { egress: true, ports: ephemeral, peer: block, fixCidr: block },
        ]),
      );
  }
  if (legs.length === 0 && missing.length === 0) return [];
  const evidence = { family: 'ipv6', agentBlock: block, legs };
  if (missing.length > 0)
    return [
      unknown(
        'nacl',
        'NACL_UNKNOWN',
        input,
        `over IPv6: no network ACL is associated with ${[...new Set(missing)].join(', ')}`,
        { ...evidence, subnetId: missing[0] },
      ),
    ];
  const denied = legs.filter((l) => l.decision === 'denied');
  if (denied.length > 0) {
    const failed = timedOut(tcp);
    const aclChanges = numberAclChanges(acls, denied);
    return [
      {
        check: 'nacl',
        code: 'NACL_IPV6_RULE_MISSING',
        status: 'fail',
        message: `${target.shortName}: over IPv6, ${denied.map((l) => `${l.acl} (${l.subnetId}) drops ${l.direction} tcp ${l.ports.from}-${l.ports.to} ${l.direction === 'inbound' ? 'from' : 'to'} ${l.peer}: ${l.deniedBy?.[0] ?? 'the default deny'}`).join('; ')} — ACL rules are per family, and an IPv4 rule never admits IPv6 traffic`,
        fix: aclChanges
          .map(
            (c) =>
              `aws ec2 create-network-acl-entry --network-acl-id ${c.aclId} --${c.egress ? 'egress' : 'ingress'} --rule-number ${c.ruleNumber} --protocol tcp --port-range From=${c.from},To=${c.to} --ipv6-cidr-block ${c.cidr} --rule-action allow`,
          )
          .join('; '),
        evidence: { ...evidence, aclChanges, explainsObserved: failed.length > 0 },
      },
    ];
  }
  if (legs.some((l) => l.decision === 'undecided'))
    return [
      unknown(
        'nacl',
        'NACL_UNKNOWN',
        input,
        `over IPv6: an ACL entry covers only part of the agent's IPv6 block ${block}, and the agent's own IPv6 address is not known`,
        evidence,
      ),
    ];
  return [
    {
      check: 'nacl',
      code: 'NACL_IPV6_OK',
      status: 'pass',
      message: `${target.shortName}: network ACLs' IPv6 entries allow the path both ways (${legs.map((l) => `${l.acl} ${l.direction}`).join(', ')})`,
      evidence,
    },
  ];
}

/**
 * An allow entry for each dropping leg, numbered before the rule that drops it: the first free
 * number below a numbered deny, or from 100 up before the default deny (IPv4 and IPv6 entries
 * share one number space per direction).
 */
function numberAclChanges(acls: NetworkAcl[], denied: Leg[]): AclChange[] {
  const taken = new Map<string, Set<number>>();
  const used = (aclId: string, egress: boolean): Set<number> => {
    const key = `${aclId}/${egress}`;
    let numbers = taken.get(key);
    if (!numbers) {
      const acl = acls.find((a) => a.NetworkAclId === aclId);
      numbers = new Set(
        (acl?.Entries ?? []).filter((e) => e.Egress === egress).map((e) => e.RuleNumber ?? 0),
      );
      taken.set(key, numbers);
    }
    return numbers;
  };
  const changes: AclChange[] = [];
  for (const leg of denied) {
    const egress = leg.direction === 'outbound';
    const numbers = used(leg.acl, egress);
    const before = leg.deniedNumber ?? 32768;
    const isDefault = before >= 32767;
    let number: number | undefined;
    if (isDefault) {
      for (let n = 100; n < 32767 && number === undefined; n++) if (!numbers.has(n)) number = n;
    } else {
      for (let n = before - 1; n >= 1 && number === undefined; n--) if (!numbers.has(n)) number = n;
    }
    if (number === undefined) continue;
    numbers.add(number);
    changes.push({
      aclId: leg.acl,
      egress,
      ruleNumber: number,
      replace: false,
      from: leg.ports.from,
      to: leg.ports.to,
      cidr: leg.fixCidr,
      ipv6: true,
      note: isDefault ? 'before the IPv6 default deny' : `before rule ${before}`,
    });
  }
  return changes;
}

function routeFindings(input: CheckInput): Finding[] {
  const { inventory, context, target } = input;
  const tcp = input.observations.ipv6?.tcp ?? [];
  if (!inventory.routeTables.ok)
    return [unreadable('route', 'ROUTE_UNKNOWN', input, inventory.routeTables.gap)];
  const effective = effectiveRouteTable(inventory.routeTables.value, context.subnetId, context.vpcId);
  if (!effective)
    return [
      unknown(
        'route',
        'ROUTE_UNKNOWN',
        input,
        `over IPv6: no route table is associated with ${context.subnetId} and the VPC's main table was not found`,
        { subnetId: context.subnetId },
      ),
    ];
  const tableId = effective.table.RouteTableId ?? '?';
  const prefixLists = inventory.prefixLists.ok ? inventory.prefixLists.value : [];
  const addresses = [...new Set(probedAddresses(input).map((p) => p.address))];
  const decisions = addresses.map((address) => ({
    address,
    ...evaluateRoute6(effective.table, address, prefixLists),
  }));
  const routes = decisions.map((d) => ({
    address: d.address,
    kind: d.kind,
    ...(d.route ? { route: describeRoute6(d.route) } : {}),
    ...(d.undecidedBy.length > 0 ? { undecidedBy: d.undecidedBy } : {}),
  }));
  const evidence = { family: 'ipv6', routeTableId: tableId, association: effective.association, routes };
  const failedFor = (address: string) => timedOut(tcp, address).length > 0;
  const none = decisions.filter(
    (d) => (d.kind === 'none' || d.kind === 'blackhole') && d.undecidedBy.length === 0,
  );
  if (none.length > 0) {
    const failed = none.filter((d) => failedFor(d.address));
    return [
      {
        check: 'route',
        code: 'ROUTE_IPV6_NO_PATH',
        status: 'fail',
        message: `${target.shortName}: ${tableId} has no IPv6 route for ${none.map((d) => `${d.address}${d.kind === 'blackhole' && d.route ? ` (${describeRoute6(d.route)})` : ''}`).join(', ')}: IPv4 routes never carry IPv6 (0.0.0.0/0 is not ::/0)`,
        fix: `Route the name's IPv6 addresses to the endpoint, not to the internet: make ${target.endpointId ?? 'the endpoint'} dual-stack so the name's AAAA records are its ENIs (local route); or, if this traffic is meant to leave, aws ec2 create-route --route-table-id ${tableId} --destination-ipv6-cidr-block ::/0 --egress-only-internet-gateway-id eigw-…`,
        evidence: { ...evidence, explainsObserved: failed.length > 0 },
      },
    ];
  }
  if (decisions.some((d) => d.undecidedBy.length > 0))
    return [
      unknown(
        'route',
        'ROUTE_UNKNOWN',
        input,
        `over IPv6: prefix lists routed by ${tableId} could not be read (${[...new Set(decisions.flatMap((d) => d.undecidedBy))].join(', ')})`,
        evidence,
      ),
    ];
  const eigw = decisions.filter((d) => d.kind === 'eigw');
  if (eigw.length > 0) {
    const failed = eigw.filter((d) => failedFor(d.address));
    const gateway = eigw[0]!.route?.EgressOnlyInternetGatewayId ?? 'eigw-…';
    return [
      {
        check: 'route',
        code: 'ROUTE_IPV6_VIA_EGRESS_ONLY_IGW',
        status: failed.length > 0 ? 'fail' : 'warn',
        message: `${target.shortName}: IPv6 traffic to ${eigw.map((d) => d.address).join(', ')} leaves through ${gateway} (${describeRoute6(eigw[0]!.route!)} in ${tableId}), not through ${target.endpointId ?? 'a VPC endpoint'}${failed.length > 0 ? ': and the IPv6 connection failed' : ': it works, around the endpoint (its policy and private path do not apply)'}`,
        fix: `Make ${target.endpointId ?? 'the endpoint'} dual-stack (aws ec2 modify-vpc-endpoint --vpc-endpoint-id ${target.endpointId ?? 'vpce-…'} --ip-address-type dualstack --dns-options DnsRecordIpType=dualstack) so the name's AAAA records are its ENIs and the local route carries them; or keep the workload on IPv4 for this name (node --dns-result-order=ipv4first)`,
        evidence: { ...evidence, egressOnlyInternetGatewayId: gateway, explainsObserved: failed.length > 0 },
      },
    ];
  }
  const other = decisions.filter((d) => d.kind !== 'local' && d.kind !== 'gateway-endpoint');
  if (other.length > 0) {
    return [
      {
        check: 'route',
        code: 'ROUTE_IPV6_VIA_OTHER_TARGET',
        status: 'warn',
        message: `${target.shortName}: IPv6 traffic to ${other.map((d) => `${d.address} takes ${d.route ? describeRoute6(d.route) : d.kind}`).join(', ')} in ${tableId}, not ${target.endpointId ?? 'a VPC endpoint'}`,
        fix: `Make ${target.endpointId ?? 'the endpoint'} dual-stack so the name's AAAA records are its ENIs, or check that the route's target (${other[0]!.route ? describeRoute6(other[0]!.route) : other[0]!.kind}) is meant to carry this service's IPv6 traffic`,
        evidence: { ...evidence, explainsObserved: other.some((d) => failedFor(d.address)) },
      },
    ];
  }
  return [
    {
      check: 'route',
      code: 'ROUTE_IPV6_OK',
      status: 'pass',
      message: `${target.shortName}: ${tableId} carries IPv6 to ${decisions.map((d) => `${d.address} (${d.route ? describeRoute6(d.route) : d.kind})`).join(', ')}`,
      evidence,
    },
  ];
}

// ── SDK dual-stack names ───────────────────────────────────────────────────────────────────

/**
 * A dual-stack SDK name (`s3.dualstack.REGION.amazonaws.com`, `SERVICE.REGION.api.aws`) that no
 * endpoint's private DNS serves, with AAAA answers, seen from a subnet with IPv6: an SDK set to
 * `useDualstackEndpoint` connects to those public IPv6 addresses first, around the endpoint.
 */
function checkDualstackNames(input: CheckInput): Finding[] {
  const { target, context, inventory } = input;
  if (agentSubnetHasIpv6(inventory, context.subnetId) !== true) return [];
  return (input.observations.sdkNames ?? []).flatMap((o) => {
    if (o.kind !== 'dualstack' || o.endpointServes || !o.aaaa || o.aaaa.outcome !== 'answer') return [];
    return [
      {
        check: 'sdk' as const,
        code: 'SDK_DUALSTACK_NO_ENDPOINT',
        status: 'warn' as const,
        message: `${target.shortName}: the dual-stack name ${o.hostname} has AAAA ${o.aaaa.addresses.join(', ')} through ${o.aaaa.resolver.address} and no VPC endpoint's private DNS serves it: an SDK with useDualstackEndpoint (AWS_USE_DUALSTACK_ENDPOINT=true) connects there over IPv6 first, around ${target.endpointId ?? 'the endpoint'}`,
        fix: `Leave dual-stack off for this service in the workload (unset AWS_USE_DUALSTACK_ENDPOINT / use_dualstack_endpoint) so the SDK calls ${target.hostname}, which ${target.endpointId ?? 'the endpoint'} serves; or give the dual-stack name a private hosted zone aliasing it to the endpoint`,
        evidence: {
          kind: o.kind,
          hostname: o.hostname,
          endpointServes: o.endpointServes,
          resolver: o.aaaa.resolver.address,
          aaaa: o.aaaa.addresses,
          a: o.dns.addresses,
          targetHostname: target.hostname,
          endpointId: target.endpointId,
        },
      },
    ];
  });
}
