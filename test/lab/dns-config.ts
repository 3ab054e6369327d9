// What the lab's resolvers answer, derived from the control plane the way Route 53 Resolver
// derives it: an interface endpoint's private zone exists only with private DNS on and both VPC
// DNS attributes true (and, for S3, not when it serves inbound Resolver endpoints only); gateway
// services keep their public names, which the lab points at the address it owns inside the
// service's prefix list. Every endpoint's own vpce names are public DNS: every resolver has them.
import type { AwsState, EndpointState } from './state.js';
import { labServices, SUBNETS, type SubnetName } from './topology.js';

export type Answers = Map<string, string[]>;

/** Every interface endpoint the lab made, with the service it is for. */
function allEndpoints(aws: AwsState): EndpointState[] {
  return [
    ...Object.values(aws.endpoints),
    ...Object.values(aws.additionalEndpoints ?? {}),
    ...(aws.endpointService ? [aws.endpointService.endpoint] : []),
  ];
}

/** `vpce-…` names: the regional one to every ENI, the zonal ones to the ENI in their AZ. */
function vpceAnswers(aws: AwsState, answers: Answers): void {
  const azOf = new Map(
    (Object.entries(aws.subnets) as Array<[SubnetName, string]>).map(([name, id]) => [id, SUBNETS[name]?.az]),
  );
  for (const endpoint of allEndpoints(aws)) {
    // A pending, rejected or failed endpoint has no live DNS names yet (or any more).
    if (endpoint.type !== 'Interface' || endpoint.state !== 'available') continue;
    for (const name of endpoint.dnsNames ?? []) {
      if (!name.endsWith('.vpce.amazonaws.com')) continue;
      const zonal = endpoint.subnetIds
        .map((id, i) => ({ az: azOf.get(id), ip: endpoint.eniIps[i] }))
        .filter((e) => e.az && e.ip && name.split('.')[0]!.endsWith(`-${e.az}`));
      answers.set(name, zonal.length > 0 ? zonal.map((e) => e.ip!) : endpoint.eniIps);
    }
  }
}

/**
 * The interface endpoint whose private zone the VPC resolver serves for this service, if any:
 * private DNS on, both VPC DNS attributes on, not an inbound-Resolver-only S3 endpoint. AWS lets
 * one endpoint per service and VPC have private DNS.
 */
export function privateZoneOwner(aws: AwsState, serviceName: string): EndpointState | undefined {
  if (!aws.dnsSupport || !aws.dnsHostnames) return undefined;
  return allEndpoints(aws).find(
    (e) =>
      e.serviceName === serviceName &&
      e.type === 'Interface' &&
      e.state === 'available' &&
      e.privateDns &&
      e.privateDnsOnlyForInboundResolverEndpoint !== true,
  );
}

/** The answers of AmazonProvidedDNS (10.0.0.2 and 169.254.169.253). */
export function vpcResolverAnswers(aws: AwsState, overrides: Record<string, string[]> = {}): Answers {
  const answers: Answers = new Map();
  vpceAnswers(aws, answers);
  for (const service of labServices(aws.extraServices)) {
    const owner = privateZoneOwner(aws, service.serviceName);
    const fallback =
      service.kind === 'gateway' ? [aws.gatewayAddresses[service.shortName]!] : service.publicAddresses;
    const addresses = owner ? owner.eniIps : fallback;
    for (const name of service.dnsNames) answers.set(name, addresses);
  }
  // A hub's private hosted zones associated with this VPC override the names they hold.
  for (const [name, addresses] of zoneAnswers(aws, aws.vpcId, answers)) answers.set(name, addresses);
  for (const [name, addresses] of Object.entries(overrides)) answers.set(name, addresses);
  return answers;
}

/**
 * The A records of the zones associated with `vpcId`: plain addresses, or an alias resolved
 * through `known` (the vpce names, which every resolver answers).
 */
function zoneAnswers(aws: AwsState, vpcId: string, known: Answers): Answers {
  const answers: Answers = new Map();
  for (const zone of aws.hub?.zones ?? []) {
    if (!zone.vpcIds.includes(vpcId)) continue;
    for (const record of zone.records) {
      const addresses =
        record.addresses ?? (record.aliasDnsName ? known.get(record.aliasDnsName) : undefined);
      if (addresses?.length) answers.set(record.name, addresses);
    }
  }
  return answers;
}

/** A FORWARD rule as the spoke's resolver applies it: queries for `domain` go to `targets`. */
export interface Forward {
  domain: string;
  targets: string[];
}

/** What the name is under: the domain itself or a name below it. */
const within = (name: string, domain: string): boolean =>
  name.replace(/^\*\./, '') === domain || name.endsWith(`.${domain}`);

/**
 * The spoke VPC's AmazonProvidedDNS (hub scenarios), derived from what moto holds for the spoke
 * VPC as Route 53 Resolver derives it: a FORWARD rule associated with the VPC sends its domain to
 * the rule's targets; otherwise a private hosted zone associated with the VPC answers its
 * records; otherwise the public answer.
 */
export function spokeResolver(aws: AwsState): { answers: Answers; forwards: Forward[] } {
  const hub = aws.hub;
  if (!hub) throw new Error('spokeResolver: the lab has no spoke');
  const answers = customResolverAnswers(aws);
  for (const [name, addresses] of zoneAnswers(aws, hub.spokeVpcId, answers)) answers.set(name, addresses);
  const forwards = hub.rules
    .filter((r) => r.vpcIds.includes(hub.spokeVpcId))
    .map((r) => ({ domain: r.domain, targets: r.targets }));
  // dnsmasq answers its own records before it forwards: a forwarded domain keeps none.
  for (const name of [...answers.keys()]) {
    if (forwards.some((f) => within(name, f.domain))) answers.delete(name);
  }
  return { answers, forwards };
}

/** The answers of a custom resolver that does not forward to AmazonProvidedDNS: public names only. */
export function customResolverAnswers(aws: AwsState, overrides: Record<string, string[]> = {}): Answers {
  const answers: Answers = new Map();
  vpceAnswers(aws, answers);
  for (const service of labServices(aws.extraServices)) {
    const addresses =
      service.kind === 'gateway' ? [aws.gatewayAddresses[service.shortName]!] : service.publicAddresses;
    for (const name of service.dnsNames) answers.set(name, addresses);
  }
  for (const [name, addresses] of Object.entries(overrides)) answers.set(name, addresses);
  return answers;
}

/**
 * A dnsmasq configuration that answers exactly these names and NXDOMAIN for the rest of the
 * zones; with `upstream`, one that answers nothing itself and forwards every query there.
 */
export function renderDnsmasqConfig(
  listen: string[],
  answers: Answers,
  logFile: string,
  upstream?: string,
  forwards: Forward[] = [],
): string {
  const lines = [
    'no-resolv',
    'no-hosts',
    'bind-interfaces',
    'user=root',
    'cache-size=0',
    `log-facility=${logFile}`,
    // Every query, stamped to the second: what the resolver saw (bench/ counts the agent's rate).
    'log-queries',
    ...(upstream ? [`server=${upstream}`] : ['local=/amazonaws.com/', 'local=/internal/']),
    ...listen.map((a) => `listen-address=${a}`),
    // The more specific domain wins over local=/amazonaws.com/.
    ...forwards.flatMap((f) => f.targets.map((t) => `server=/${f.domain}/${t}`)),
  ];
  if (upstream) return `${lines.join('\n')}\n`;
  for (const [name, addresses] of answers) {
    if (addresses.length === 0) continue;
    if (name.startsWith('*.')) {
      // address=/zone/ answers the zone and every name under it.
      for (const a of addresses) lines.push(`address=/${name.slice(2)}/${a}`);
    } else {
      // host-record takes one IPv4 address; repeating it adds the others.
      for (const a of addresses) lines.push(`host-record=${name},${a}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
