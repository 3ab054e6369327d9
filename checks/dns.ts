// What the target's name resolves to, through the resolvers the workload uses, compared with
// what it should resolve to: an interface endpoint's ENI IPs, or a public address for gateway
// services. AmazonProvidedDNS is asked too, so a custom DNS server that hides the endpoint's
// private zone shows up as a disagreement with a named cause.
import type { VpcEndpoint } from '@aws-sdk/client-ec2';
import {
  amazonResolverAddresses,
  interfaceAddresses,
  isWorkloadResolver,
  targetEndpoint,
  vpcCidrs,
} from '../src/inventory-view.js';
import type { Check, CheckInput, DnsObservation, Finding } from '../src/model.js';
import { ipInCidr, isPrivateIpv4 } from '../src/net/ip.js';
import { hubAnswerFinding, hubMissingFindings } from './hub.js';

type Kind =
  | 'eni' // every address is one of the endpoint's ENI IPs
  | 'public' // an address outside the VPC and private space
  | 'unexpected_private' // a private address that is not this endpoint's ENI
  | 'unverified' // private, but the ENI IPs are a gap
  | 'public_ok' // a gateway service's public answer
  | 'no_endpoint'; // an answer for a service without an endpoint in this VPC

interface Verdict {
  observation: DnsObservation;
  /** For answers, how the addresses relate to the endpoint; otherwise the outcome itself. */
  kind: Kind | Exclude<DnsObservation['outcome'], 'answer'>;
  /** The answered addresses that are not the endpoint's ENIs. */
  foreign: string[];
}

interface Expectation {
  endpoint: VpcEndpoint | undefined;
  /** undefined: the ENI IPs cannot be known (a gap). */
  eniIps: string[] | undefined;
  /** undefined: the VPC is a gap; private space stands in for it. */
  vpcCidrs: string[] | undefined;
  gapAction: string | undefined;
}

function expectation(input: CheckInput): Expectation {
  const { inventory, target } = input;
  const endpoint = targetEndpoint(inventory, target);
  const cidrs = vpcCidrs(inventory);
  if (target.endpointType !== 'Interface' || !target.endpointId) {
    return { endpoint, eniIps: [], vpcCidrs: cidrs, gapAction: undefined };
  }
  const gap = !inventory.endpoints.ok
    ? inventory.endpoints.gap
    : !inventory.endpointInterfaces.ok
      ? inventory.endpointInterfaces.gap
      : undefined;
  if (gap)
    return { endpoint, eniIps: undefined, vpcCidrs: cidrs, gapAction: `${gap.action} (${gap.errorCode})` };
  return {
    endpoint,
    eniIps: interfaceAddresses(inventory, target),
    vpcCidrs: cidrs,
    gapAction: undefined,
  };
}

function isPrivate(address: string, cidrs: string[] | undefined): boolean {
  return (
    (cidrs ?? []).some((cidr) => ipInCidr(address, cidr)) ||
    isPrivateIpv4(address) ||
    ipInCidr(address, '100.64.0.0/10')
  );
}

function classify(observation: DnsObservation, input: CheckInput, expected: Expectation): Verdict {
  if (observation.outcome !== 'answer') return { observation, kind: observation.outcome, foreign: [] };
  const eni = new Set(expected.eniIps ?? []);
  const foreign = observation.addresses.filter((a) => !eni.has(a));
  const privateForeign = foreign.filter((a) => isPrivate(a, expected.vpcCidrs));
  const type = input.target.endpointType;
  if (type === 'Gateway')
    return { observation, kind: privateForeign.length > 0 ? 'unexpected_private' : 'public_ok', foreign };
  if (type !== 'Interface') return { observation, kind: 'no_endpoint', foreign };
  if (expected.eniIps === undefined && privateForeign.length > 0)
    return { observation, kind: 'unverified', foreign };
  if (privateForeign.length > 0) return { observation, kind: 'unexpected_private', foreign };
  if (foreign.length > 0) return { observation, kind: 'public', foreign };
  return { observation, kind: 'eni', foreign };
}

function via(o: DnsObservation): string {
  return `${o.hostname} via ${o.resolver.address} (${o.resolver.source})`;
}

function list(addresses: string[]): string {
  return addresses.length > 0 ? addresses.join(', ') : 'none';
}

function evidenceOf(verdict: Verdict, expected: Expectation): Record<string, unknown> {
  const o = verdict.observation;
  return {
    resolver: o.resolver,
    hostname: o.hostname,
    outcome: o.outcome,
    addresses: o.addresses,
    transport: o.transport,
    durationMs: o.durationMs,
    ...(o.rcode ? { rcode: o.rcode } : {}),
    ...(o.detail ? { detail: o.detail } : {}),
    ...(expected.eniIps !== undefined ? { endpointEniIps: expected.eniIps } : { endpointEniIps: 'unknown' }),
    vpcCidrs: expected.vpcCidrs ?? 'unknown (RFC 1918 and 100.64/10 used as private space)',
  };
}

function publicFix(input: CheckInput, expected: Expectation, amazon: Set<string>, resolver: string): string {
  const { inventory, target } = input;
  const id = target.endpointId ?? 'vpce-…';
  if (expected.endpoint?.PrivateDnsEnabled === false) {
    return `enable private DNS on ${id}: aws ec2 modify-vpc-endpoint --vpc-endpoint-id ${id} --private-dns-enabled`;
  }
  const vpcId = inventory.vpcId;
  if (inventory.dnsSupport.ok && !inventory.dnsSupport.value) {
    return `turn on DNS support for ${vpcId}: aws ec2 modify-vpc-attribute --vpc-id ${vpcId} --enable-dns-support '{"Value":true}'`;
  }
  if (inventory.dnsHostnames.ok && !inventory.dnsHostnames.value) {
    return `turn on DNS hostnames for ${vpcId}: aws ec2 modify-vpc-attribute --vpc-id ${vpcId} --enable-dns-hostnames '{"Value":true}'`;
  }
  if (!amazon.has(resolver)) {
    return `resolver ${resolver} is not AmazonProvidedDNS: forward ${target.hostname} (or amazonaws.com) to the VPC resolver ${[...amazon].join(' / ')}, or use AmazonProvidedDNS in the DHCP option set`;
  }
  return `check that ${id} has private DNS on and no resolver rule or private hosted zone overrides ${target.hostname}: aws ec2 describe-vpc-endpoints --vpc-endpoint-ids ${id} --query 'VpcEndpoints[].PrivateDnsEnabled'; aws route53resolver list-resolver-rule-associations --filters Name=VPCId,Values=${inventory.vpcId}`;
}

function zoneFix(input: CheckInput): string {
  return `find the private hosted zone or resolver rule that answers for ${input.target.hostname}: aws route53 list-hosted-zones-by-vpc --vpc-id ${input.inventory.vpcId} --vpc-region ${input.inventory.region}; aws route53resolver list-resolver-rule-associations --filters Name=VPCId,Values=${input.inventory.vpcId}; delete the stale record or zone association`;
}

function answerFinding(
  verdict: Verdict,
  input: CheckInput,
  expected: Expectation,
  amazon: Set<string>,
): Finding {
  const o = verdict.observation;
  const id = input.target.endpointId ?? 'the endpoint';
  const evidence = evidenceOf(verdict, expected);
  const base = { check: 'dns' as const, evidence, durationMs: o.durationMs };
  const eniText = `${id}'s ENIs (${list(expected.eniIps ?? [])})`;
  switch (verdict.kind) {
    case 'eni':
      return {
        ...base,
        code: 'DNS_PRIVATE_OK',
        status: 'pass',
        message: `${via(o)} → ${list(o.addresses)} = ${eniText}`,
      };
    case 'public_ok':
      return {
        ...base,
        code: 'DNS_PUBLIC_OK',
        status: 'pass',
        message: `${via(o)} → public ${list(o.addresses)}, as expected for gateway endpoint ${id}; the route check decides the path`,
      };
    case 'no_endpoint': {
      const privateOnes = o.addresses.filter((a) => isPrivate(a, expected.vpcCidrs));
      const { endpoints } = input.inventory;
      return {
        ...base,
        code: 'DNS_NO_LOCAL_ENDPOINT',
        status: 'info',
        message: !endpoints.ok
          ? `${via(o)} → ${privateOnes.length > 0 ? 'private' : 'public'} ${list(o.addresses)}; whether ${input.inventory.vpcId} has an endpoint for it is unknown (${endpoints.gap.action} ${endpoints.gap.errorCode})`
          : privateOnes.length > 0
            ? input.inventory.chain
              ? `${via(o)} → private ${list(o.addresses)} without an endpoint of ${input.inventory.vpcId}, and no private hosted zone or Resolver rule associated with it gives them (a Route 53 Profile's zone or rule? Profiles are not read)`
              : `${via(o)} → private ${list(o.addresses)} without an endpoint of ${input.inventory.vpcId} (a shared private zone for endpoints in another VPC?)`
            : `${via(o)} → public ${list(o.addresses)}: no endpoint in ${input.inventory.vpcId}, so traffic needs a NAT or internet gateway`,
      };
    }
    case 'public':
      return {
        ...base,
        code: 'DNS_RESOLVES_PUBLIC',
        status: 'fail',
        message: `${via(o)} → public ${list(verdict.foreign)}, not ${eniText}: traffic bypasses the endpoint`,
        fix: publicFix(input, expected, amazon, o.resolver.address),
      };
    case 'unexpected_private':
      return {
        ...base,
        code: 'DNS_RESOLVES_UNEXPECTED_PRIVATE',
        status: 'fail',
        message:
          input.target.endpointType === 'Gateway'
            ? `${via(o)} → private ${list(verdict.foreign)}; gateway endpoint ${id} serves public addresses, so a private zone overrides the name`
            : `${via(o)} → private ${list(verdict.foreign)}, which are not ${eniText} (a stale private hosted zone or resolver rule?)`,
        fix: zoneFix(input),
      };
    default:
      return {
        ...base,
        code: 'DNS_ANSWER_UNVERIFIED',
        status: 'unknown',
        message: `${via(o)} → private ${list(o.addresses)}, but ${id}'s ENI IPs are unknown: ${expected.gapAction ?? 'inventory gap'}`,
        fix: `allow ${expected.gapAction?.split(' ')[0] ?? 'ec2:DescribeVpcEndpoints and ec2:DescribeNetworkInterfaces'} in the agent's IAM policy`,
      };
  }
}

function failureFinding(
  verdict: Verdict,
  input: CheckInput,
  expected: Expectation,
  amazon: Set<string>,
): Finding {
  const o = verdict.observation;
  const evidence = evidenceOf(verdict, expected);
  const base = { check: 'dns' as const, status: 'fail' as const, evidence, durationMs: o.durationMs };
  const resolver = o.resolver.address;
  const isAmazon = amazon.has(resolver);
  const detail = o.detail ? ` (${o.detail})` : '';
  switch (o.outcome) {
    case 'nxdomain':
      return {
        ...base,
        code: 'DNS_NXDOMAIN',
        message: `${via(o)} answered NXDOMAIN: the name does not exist for this resolver`,
        fix: isAmazon
          ? zoneFix(input)
          : `resolver ${resolver} does not know ${o.hostname}: forward amazonaws.com to AmazonProvidedDNS (${[...amazon].join(' / ')}); ${zoneFix(input)}`,
      };
    case 'nodata':
      return {
        ...base,
        code: 'DNS_NODATA',
        message: `${via(o)} has no A record for the name${detail}`,
        fix: zoneFix(input),
      };
    case 'servfail':
      return {
        ...base,
        code: 'DNS_SERVFAIL',
        message: `${via(o)} answered SERVFAIL: it could not resolve the name upstream`,
        fix: isAmazon
          ? `AmazonProvidedDNS failed upstream: check Route 53 Resolver forwarding rules for ${o.hostname} (aws route53resolver list-resolver-rule-associations --filters Name=VPCId,Values=${input.inventory.vpcId}) and their target resolvers`
          : `resolver ${resolver} failed to resolve upstream: check its forwarders; it should forward amazonaws.com to AmazonProvidedDNS (${[...amazon].join(' / ')})`,
      };
    case 'refused':
      return {
        ...base,
        code: 'DNS_REFUSED',
        message: `${via(o)} refused the query (REFUSED): it does not serve recursion to ${input.context.privateIp}`,
        fix: `allow recursion for ${input.context.subnetId}'s CIDR on ${resolver} (its ACL / allow-recursion list), or use AmazonProvidedDNS`,
      };
    case 'timeout':
      return {
        ...base,
        code: 'DNS_TIMEOUT',
        message: `${via(o)} did not answer${detail}`,
        fix: isAmazon
          ? `AmazonProvidedDNS does not answer: check enableDnsSupport (aws ec2 describe-vpc-attribute --vpc-id ${input.inventory.vpcId} --attribute enableDnsSupport) and that nothing on the host drops udp/53; the resolver also drops past 1024 packets/s per ENI`
          : `resolver ${resolver} does not answer: its security group and network ACL must allow udp/53 and tcp/53 from ${input.context.privateIp}, and the agent's egress must allow them`,
      };
    case 'malformed':
      return {
        ...base,
        code: 'DNS_MALFORMED_RESPONSE',
        message: `${via(o)} sent an answer that cannot be decoded${detail}`,
        fix: `capture the exchange (tcpdump -ni any host ${resolver} and port 53) and fix or replace the resolver or the middlebox rewriting DNS`,
      };
    default:
      return {
        ...base,
        code: 'DNS_ERROR',
        message: `${via(o)} failed${detail}`,
        fix: `check that ${resolver} runs a DNS server on port 53 reachable from ${input.context.privateIp} (an ICMP port unreachable means nothing listens)`,
      };
  }
}

function findingFor(
  verdict: Verdict,
  input: CheckInput,
  expected: Expectation,
  amazon: Set<string>,
): Finding {
  return verdict.observation.outcome === 'answer'
    ? answerFinding(verdict, input, expected, amazon)
    : failureFinding(verdict, input, expected, amazon);
}

/** A key that two resolvers share when they agree; public answers vary per query, so only their kind counts. */
function agreementKey(verdict: Verdict): string {
  if (
    verdict.kind === 'unexpected_private' ||
    verdict.kind === 'no_endpoint' ||
    verdict.kind === 'unverified'
  ) {
    return `${verdict.kind}:${[...verdict.observation.addresses].sort().join(',')}`;
  }
  return verdict.kind;
}

function customDnsServers(
  input: CheckInput,
  amazon: Set<string>,
): { id: string; servers: string[] } | undefined {
  const options = input.inventory.dhcpOptions;
  if (!options.ok || !options.value) return undefined;
  const servers = (options.value.DhcpConfigurations ?? [])
    .filter((c) => c.Key === 'domain-name-servers')
    .flatMap((c) => (c.Values ?? []).flatMap((v) => (v.Value ? [v.Value] : [])));
  const custom = servers.filter((s) => s !== 'AmazonProvidedDNS' && !amazon.has(s));
  return custom.length > 0 ? { id: options.value.DhcpOptionsId ?? 'dopt-?', servers: custom } : undefined;
}

const HIDES_ENDPOINT = new Set<Verdict['kind']>(['public', 'unexpected_private', 'nxdomain', 'nodata']);

function comparisonFinding(
  workload: Verdict,
  reference: Verdict,
  input: CheckInput,
  amazon: Set<string>,
): Finding | undefined {
  if (agreementKey(workload) === agreementKey(reference)) return undefined;
  const w = workload.observation;
  const r = reference.observation;
  const describe = (v: Verdict) =>
    v.observation.outcome === 'answer'
      ? `${list(v.observation.addresses)} (${v.kind})`
      : v.observation.outcome;
  const evidence = {
    workload: { resolver: w.resolver, outcome: w.outcome, addresses: w.addresses, kind: workload.kind },
    amazonProvidedDns: {
      resolver: r.resolver,
      outcome: r.outcome,
      addresses: r.addresses,
      kind: reference.kind,
    },
  };
  const custom = customDnsServers(input, amazon);
  if (
    input.target.endpointType === 'Interface' &&
    reference.kind === 'eni' &&
    HIDES_ENDPOINT.has(workload.kind) &&
    custom
  ) {
    return {
      check: 'dns',
      code: 'DHCP_CUSTOM_DNS',
      status: 'fail',
      message: `custom DNS servers in dhcp-options ${custom.id} (${custom.servers.join(', ')}) do not forward ${input.target.hostname} to AmazonProvidedDNS: ${w.resolver.address} → ${describe(workload)}, ${r.resolver.address} → ${describe(reference)}`,
      fix: `on ${custom.servers.join(', ')} forward amazonaws.com (at least ${input.target.hostname}) to the VPC resolver ${r.resolver.address}; or use AmazonProvidedDNS: aws ec2 create-dhcp-options --dhcp-configurations 'Key=domain-name-servers,Values=AmazonProvidedDNS' then aws ec2 associate-dhcp-options --vpc-id ${input.inventory.vpcId} --dhcp-options-id <new dopt-id>`,
      evidence: { ...evidence, dhcpOptionsId: custom.id, domainNameServers: custom.servers },
    };
  }
  const dhcpNote = input.inventory.dhcpOptions.ok
    ? ''
    : `; DHCP options unknown: ${input.inventory.dhcpOptions.gap.action} (${input.inventory.dhcpOptions.gap.errorCode})`;
  return {
    check: 'dns',
    code: 'DNS_RESOLVERS_DISAGREE',
    status: 'warn',
    message: `${input.target.hostname}: the workload's resolver ${w.resolver.address} → ${describe(workload)}, AmazonProvidedDNS ${r.resolver.address} → ${describe(reference)}${dhcpNote}`,
    fix: `make ${w.resolver.address} forward ${input.target.hostname} (amazonaws.com) to AmazonProvidedDNS ${r.resolver.address}, or point the workload at AmazonProvidedDNS`,
    evidence,
  };
}

/**
 * One finding per workload resolver (what the OS uses: resolv.conf or configured resolvers; all
 * resolvers when there are none), then one comparison with AmazonProvidedDNS where they differ.
 * No observations, no findings: the runner did not probe.
 */
export const checkDns: Check = (input) => {
  const observations = input.observations.dns;
  if (observations.length === 0) return [];
  const amazon = amazonResolverAddresses(input.context.resolvers, input.inventory);
  const expected = expectation(input);
  const verdicts = observations.map((o) => classify(o, input, expected));
  const own = verdicts.filter((v) => isWorkloadResolver(v.observation.resolver));
  const workload = own.length > 0 ? own : verdicts;
  const findings = workload.flatMap((v) => {
    const own = findingFor(v, input, expected, amazon);
    // Private answers of another VPC's endpoints: a centralised endpoint when an associated zone
    // or Resolver rule gives them (issue 15), never a stale zone.
    const hub = v.kind === 'no_endpoint' ? hubAnswerFinding(input, v.observation) : undefined;
    if (hub?.code === 'DNS_HUB_OK') return [hub];
    return hub ? [own, hub] : [own];
  });
  findings.push(...hubMissingFindings(input));

  const isAmazon = (v: Verdict) => amazon.has(v.observation.resolver.address);
  const references = verdicts
    .filter(isAmazon)
    .sort(
      (a, b) => (a.observation.outcome === 'answer' ? 0 : 1) - (b.observation.outcome === 'answer' ? 0 : 1),
    );
  const reference = references[0];
  if (reference) {
    for (const v of workload) {
      if (isAmazon(v)) continue;
      const comparison = comparisonFinding(v, reference, input, amazon);
      if (comparison) findings.push(comparison);
    }
  }
  return findings;
};
