// What the lab's resolvers answer, derived from the control plane the way Route 53 Resolver
// derives it: an interface endpoint's private zone exists only with private DNS on and both VPC
// DNS attributes true; gateway services keep their public names, which the lab points at the
// address it owns inside the service's prefix list.
import type { AwsState } from './state.js';
import { labServices } from './topology.js';

export type Answers = Map<string, string[]>;

/** The answers of AmazonProvidedDNS (10.0.0.2 and 169.254.169.253). */
export function vpcResolverAnswers(aws: AwsState, overrides: Record<string, string[]> = {}): Answers {
  const answers: Answers = new Map();
  for (const service of labServices(aws.extraServices)) {
    let addresses: string[];
    if (service.kind === 'gateway') {
      addresses = [aws.gatewayAddresses[service.shortName]!];
    } else {
      const endpoint = aws.endpoints[service.shortName];
      const privateZone = endpoint?.privateDns === true && aws.dnsSupport && aws.dnsHostnames;
      addresses = privateZone && endpoint ? endpoint.eniIps : service.publicAddresses;
    }
    for (const name of service.dnsNames) answers.set(name, addresses);
  }
  for (const [name, addresses] of Object.entries(overrides)) answers.set(name, addresses);
  return answers;
}

/** The answers of a custom resolver that does not forward to AmazonProvidedDNS: public names only. */
export function customResolverAnswers(aws: AwsState, overrides: Record<string, string[]> = {}): Answers {
  const answers: Answers = new Map();
  for (const service of labServices(aws.extraServices)) {
    const addresses =
      service.kind === 'gateway' ? [aws.gatewayAddresses[service.shortName]!] : service.publicAddresses;
    for (const name of service.dnsNames) answers.set(name, addresses);
  }
  for (const [name, addresses] of Object.entries(overrides)) answers.set(name, addresses);
  return answers;
}

/** A dnsmasq configuration that answers exactly these names and NXDOMAIN for the rest of the zones. */
export function renderDnsmasqConfig(listen: string[], answers: Answers, logFile: string): string {
  const lines = [
    'no-resolv',
    'no-hosts',
    'bind-interfaces',
    'user=root',
    'cache-size=0',
    `log-facility=${logFile}`,
    // Every query, stamped to the second: what the resolver saw (bench/ counts the agent's rate).
    'log-queries',
    'local=/amazonaws.com/',
    'local=/internal/',
    ...listen.map((a) => `listen-address=${a}`),
  ];
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
