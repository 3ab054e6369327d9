// IMDSv2: a token PUT, then GETs with the token. Inside a container the hop limit (default 1)
// silently drops the token answer, so the PUT gets a short deadline of its own and the chain
// falls through.
import type { Fetch } from './ecs-metadata.js';

export interface ImdsFacts {
  availabilityZone?: string;
  availabilityZoneId?: string;
  privateIp?: string;
  subnetId?: string;
  vpcId?: string;
  vpcCidr?: string;
  securityGroupIds?: string[];
  region?: string;
  accountId?: string;
  /** null: IMDS has no meta-data/public-ipv4 (the instance has none); absent: not read. */
  publicIp?: string | null;
}

export interface ImdsOptions {
  baseUrl: string;
  signal: AbortSignal;
  tokenTimeoutMs: number;
  timeoutMs: number;
}

export async function readImds(fetchFn: Fetch, options: ImdsOptions): Promise<ImdsFacts> {
  const base = options.baseUrl.replace(/\/+$/, '');
  const tokenResponse = await fetchFn(`${base}/latest/api/token`, {
    method: 'PUT',
    headers: { 'X-aws-ec2-metadata-token-ttl-seconds': '21600' },
    signal: AbortSignal.any([options.signal, AbortSignal.timeout(options.tokenTimeoutMs)]),
  });
  if (!tokenResponse.ok) throw new Error(`IMDS token PUT answered HTTP ${tokenResponse.status}`);
  const token = (await tokenResponse.text()).trim();
  if (!token) throw new Error('IMDS token PUT answered an empty token');

  const signal = AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]);
  const get = async (path: string): Promise<string | undefined> => {
    const response = await fetchFn(`${base}/latest/${path}`, {
      headers: { 'X-aws-ec2-metadata-token': token },
      signal,
    });
    if (response.status === 404) return undefined;
    if (!response.ok) throw new Error(`IMDS GET ${path} answered HTTP ${response.status}`);
    return (await response.text()).trim() || undefined;
  };

  const [availabilityZone, privateIp, mac, identity, publicIp, availabilityZoneId] = await Promise.all([
    get('meta-data/placement/availability-zone'),
    get('meta-data/local-ipv4'),
    get('meta-data/mac'),
    get('dynamic/instance-identity/document'),
    // 404 is IMDS saying "none"; any other failure leaves it unknown, and costs no other fact.
    get('meta-data/public-ipv4').then(
      (value) => value ?? null,
      () => undefined,
    ),
    // The AZ id names the same AZ in every account; the name alone is enough when it fails.
    get('meta-data/placement/availability-zone-id').catch(() => undefined),
  ]);
  const facts: ImdsFacts = {};
  if (publicIp !== undefined) facts.publicIp = publicIp;
  if (availabilityZone) facts.availabilityZone = availabilityZone;
  if (availabilityZoneId) facts.availabilityZoneId = availabilityZoneId;
  if (privateIp) facts.privateIp = privateIp;
  if (identity) {
    const doc: unknown = JSON.parse(identity);
    if (typeof doc === 'object' && doc !== null) {
      const { region, accountId } = doc as { region?: unknown; accountId?: unknown };
      if (typeof region === 'string' && region) facts.region = region;
      if (typeof accountId === 'string' && accountId) facts.accountId = accountId;
    }
  }
  if (mac) {
    const prefix = `meta-data/network/interfaces/macs/${mac}`;
    const [subnetId, vpcId, groups, vpcCidr] = await Promise.all([
      get(`${prefix}/subnet-id`),
      get(`${prefix}/vpc-id`),
      get(`${prefix}/security-group-ids`),
      get(`${prefix}/vpc-ipv4-cidr-block`),
    ]);
    if (subnetId) facts.subnetId = subnetId;
    if (vpcId) facts.vpcId = vpcId;
    if (vpcCidr) facts.vpcCidr = vpcCidr;
    if (groups) facts.securityGroupIds = groups.split(/\s+/).filter(Boolean);
  }
  return facts;
}
