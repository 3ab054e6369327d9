// "Who and where am I": an ordered chain, each step with a short deadline, each filling only
// what the previous ones did not, recording which step gave each fact.
import { readFile as readFileFs } from 'node:fs/promises';
import { networkInterfaces as osNetworkInterfaces } from 'node:os';
import type { NetworkInterface } from '@aws-sdk/client-ec2';
import { findingForGap } from '../aws/gap-findings.js';
import type { Ec2 } from '../aws/inventory.js';
import {
  describeSubnet,
  describeSubnets,
  describeVpc,
  findInterfacesByAddress,
  findLambdaInterfaces,
} from '../aws/lookups.js';
import type { AgentContext, ClientKind, ContextSource, Finding, Part, Resolver } from '../model.js';
import { parseCidr } from '../net/ip.js';
import { type Fetch, readEcsMetadata } from './ecs-metadata.js';
import { isAzName, readContextEnv } from './env.js';
import { readImds } from './imds.js';
import { readResolvers } from './resolvers.js';

export interface DiscoverTimeouts {
  ecsMs: number;
  imdsTokenMs: number;
  imdsMs: number;
  ec2Ms: number;
}

type InterfaceInfo = { address: string; family: string | number; internal: boolean };

export interface DiscoverDeps {
  /** A client whose Region is already set (a caller that knows it; tests). */
  ec2?: Ec2;
  /**
   * A client for the Region discovery found (IMDS, config): preferred over `ec2`, whose Region
   * the edge could only take from the environment.
   */
  ec2For?: (region: string) => Ec2;
  env: Record<string, string | undefined>;
  fetch?: Fetch;
  readFile?: (path: string) => Promise<string>;
  networkInterfaces?: () => Record<string, InterfaceInfo[] | undefined>;
  signal: AbortSignal;
  config?: Partial<AgentContext> & { lambda?: { subnetIds: string[]; securityGroupIds: string[] } };
  timeouts?: Partial<DiscoverTimeouts>;
  /**
   * Called once, as soon as the VPC and the Region are both known, while discovery goes on
   * (the first reader of a fact wins, so neither changes after): the caller can start what needs
   * only those, the inventory, instead of waiting for the security groups and the resolvers.
   * Discovery may still end without a context (a missing address): the caller then drops it.
   */
  onVpc?: (vpcId: string, region: string) => void;
  /**
   * The VPC's primary CIDR from what the caller already reads (the inventory onVpc started, whose
   * DescribeVpcs is the same call): discovery asks EC2 itself only when this gives none.
   */
  vpcCidr?: (vpcId: string) => Promise<string | undefined> | undefined;
}

export interface DiscoverResult {
  context?: AgentContext;
  findings: Finding[];
}

const DEFAULT_TIMEOUTS: DiscoverTimeouts = { ecsMs: 1000, imdsTokenMs: 400, imdsMs: 1000, ec2Ms: 1500 };
const DEFAULT_IMDS = 'http://169.254.169.254';

type FactKey =
  | 'region'
  | 'vpcId'
  | 'subnetId'
  | 'availabilityZone'
  | 'availabilityZoneId'
  | 'privateIp'
  | 'securityGroupIds'
  | 'accountId';
type FactValue<K extends FactKey> = K extends 'securityGroupIds' ? string[] : string;

const ESSENTIAL: Array<{ key: FactKey; env: string }> = [
  { key: 'vpcId', env: 'VPCE_DOCTOR_VPC_ID' },
  { key: 'subnetId', env: 'VPCE_DOCTOR_SUBNET_ID' },
  { key: 'privateIp', env: 'VPCE_DOCTOR_PRIVATE_IP' },
  { key: 'region', env: 'AWS_REGION' },
];

interface Step {
  step: string;
  outcome: string;
}

/** One of several ENIs that own the agent's address (VPCs sharing a CIDR), none ruled out. */
interface Candidate {
  networkInterfaceId: string;
  vpcId: string;
  subnetId: string;
  availabilityZone: string;
}

class Facts {
  readonly values: { [K in FactKey]?: FactValue<K> } = {};
  readonly sources: Record<string, ContextSource> = {};

  set<K extends FactKey>(key: K, value: FactValue<K> | undefined, source: ContextSource): boolean {
    if (this.values[key] !== undefined || value === undefined) return false;
    if (Array.isArray(value) ? value.length === 0 : value === '') return false;
    this.values[key] = value as (typeof this.values)[K];
    this.sources[key] = source;
    return true;
  }

  has(key: FactKey): boolean {
    return this.values[key] !== undefined;
  }

  missing(keys: FactKey[]): FactKey[] {
    return keys.filter((k) => !this.has(k));
  }
}

function errorText(err: unknown): string {
  if (err instanceof Error)
    return err.name === 'TimeoutError' || err.name === 'AbortError'
      ? 'no answer before the deadline'
      : err.message;
  return String(err);
}

function ownIpv4Addresses(list: () => Record<string, InterfaceInfo[] | undefined>): string[] {
  return Object.values(list())
    .flatMap((infos) => infos ?? [])
    .filter((i) => !i.internal && (i.family === 'IPv4' || i.family === 4))
    .map((i) => i.address);
}

function eniAddresses(eni: NetworkInterface): string[] {
  return [eni.PrivateIpAddress, ...(eni.PrivateIpAddresses ?? []).map((p) => p.PrivateIpAddress)].filter(
    (a): a is string => typeof a === 'string',
  );
}

function groupIds(eni: NetworkInterface): string[] {
  return (eni.Groups ?? []).map((g) => g.GroupId).filter((g): g is string => typeof g === 'string');
}

function pickLambdaInterface(enis: NetworkInterface[], functionName: string, groups: string[] | undefined) {
  const sameGroups = (eni: NetworkInterface) => {
    const own = groupIds(eni).sort().join(',');
    return groups !== undefined && own === [...groups].sort().join(',');
  };
  return (
    enis.find((e) => (e.Description ?? '').includes(functionName) && sameGroups(e)) ??
    enis.find(sameGroups) ??
    enis.find((e) => (e.Description ?? '').includes(functionName)) ??
    enis[0]
  );
}

/** The public IPv4 mapped to this private address of the ENI; null when it has none. */
function publicIpOf(eni: NetworkInterface, address: string): string | null {
  const entry = (eni.PrivateIpAddresses ?? []).find((p) => p.PrivateIpAddress === address);
  const primary = eni.PrivateIpAddress === address ? eni.Association?.PublicIp : undefined;
  return entry?.Association?.PublicIp ?? primary ?? null;
}

function candidateOf(eni: NetworkInterface): Candidate {
  return {
    networkInterfaceId: eni.NetworkInterfaceId ?? '?',
    vpcId: eni.VpcId ?? '?',
    subnetId: eni.SubnetId ?? '?',
    availabilityZone: eni.AvailabilityZone ?? '?',
  };
}

function sameCidr(a: string | undefined, b: string): boolean {
  const left = a === undefined ? undefined : parseCidr(a);
  const right = parseCidr(b);
  return (
    left !== undefined && right !== undefined && left.base === right.base && left.prefix === right.prefix
  );
}

export async function discoverContext(deps: DiscoverDeps): Promise<DiscoverResult> {
  const { env, signal } = deps;
  const pinned = readContextEnv(env);
  const timeouts = { ...DEFAULT_TIMEOUTS, ...deps.timeouts };
  const fetchFn = deps.fetch ?? globalThis.fetch;
  const config = deps.config ?? {};
  const facts = new Facts();
  const findings: Finding[] = [];
  const tried: Step[] = [];
  const lambdaFunction = env['AWS_LAMBDA_FUNCTION_NAME'];
  let imdsVpc: { vpcId?: string; cidr?: string } = {};
  let ecsSubnetCidr: string | undefined;
  let ambiguous: { address: string; candidates: Candidate[] } | undefined;
  // Whether an internet-gateway route can carry our traffic: read, never inferred from the
  // subnet's MapPublicIpOnLaunch. First reader wins, as for the other facts.
  let publicIp: { value: string | null; source: ContextSource } | undefined;
  const setPublicIp = (value: string | null | undefined, source: ContextSource) => {
    if (publicIp === undefined && value !== undefined) publicIp = { value, source };
  };
  // Every EC2 step runs once the Region is known (ec2Ready), so the client can be made for it.
  const ec2 = (): Ec2 => {
    const client = deps.ec2For?.(facts.values.region!) ?? deps.ec2;
    if (!client) throw new Error('discoverContext needs ec2 or ec2For');
    return client;
  };

  let announced = false;
  const announceVpc = () => {
    const { vpcId, region } = facts.values;
    if (announced || !deps.onVpc || vpcId === undefined || region === undefined) return;
    announced = true;
    deps.onVpc(vpcId, region);
  };

  // An AZ comes as a name (us-east-1a) or an id (use1-az1): each form fills its own fact, and
  // the report shows the name when any step finds it.
  const setAz = (value: string | undefined, source: ContextSource) => {
    if (value) facts.set(isAzName(value) ? 'availabilityZone' : 'availabilityZoneId', value, source);
  };

  const onGap = (part: Part<unknown>, step: string): boolean => {
    if (part.ok) return false;
    tried.push({ step, outcome: `failed: ${part.gap.action} ${part.gap.errorCode}` });
    findings.push(findingForGap(part.gap, ['context'], ['context'], 'context discovery'));
    return true;
  };

  // 1. Explicit configuration, then the environment.
  facts.set('region', config.region, 'config');
  facts.set('vpcId', config.vpcId, 'config');
  facts.set('subnetId', config.subnetId, 'config');
  setAz(config.availabilityZone, 'config');
  facts.set('privateIp', config.privateIp, 'config');
  facts.set('securityGroupIds', config.securityGroupIds, 'config');
  facts.set('accountId', config.accountId, 'config');
  facts.set('vpcId', pinned.vpcId, 'env');
  facts.set('subnetId', pinned.subnetId, 'env');
  setAz(pinned.availabilityZone, 'env');
  facts.set('privateIp', pinned.privateIp, 'env');
  facts.set('securityGroupIds', pinned.securityGroupIds, 'env');
  facts.set('region', env['AWS_REGION'] || env['AWS_DEFAULT_REGION'], 'env');
  tried.push({ step: 'config/env', outcome: `found ${Object.keys(facts.sources).join(', ') || 'nothing'}` });
  announceVpc();

  // 2. ECS task metadata v4: AZ and the task's address, never a subnet id.
  const ecsUri = env['ECS_CONTAINER_METADATA_URI_V4'];
  if (ecsUri && facts.missing(['availabilityZone', 'privateIp']).length > 0) {
    try {
      const ecs = await readEcsMetadata(
        fetchFn,
        ecsUri,
        AbortSignal.any([signal, AbortSignal.timeout(timeouts.ecsMs)]),
      );
      setAz(ecs.availabilityZone, 'ecs-metadata');
      facts.set('privateIp', ecs.privateIp, 'ecs-metadata');
      ecsSubnetCidr = ecs.subnetCidr;
      tried.push({
        step: 'ecs-metadata',
        outcome: `ok${ecs.subnetCidr ? ` (subnet ${ecs.subnetCidr})` : ''}`,
      });
    } catch (err) {
      tried.push({ step: 'ecs-metadata', outcome: `failed: ${errorText(err)}` });
    }
  }

  // 3. Lambda: subnet and groups come from the deploy template; the function's own addresses
  // are not its Hyperplane ENI's, so the address is looked up by the ENI's description.
  if (lambdaFunction) {
    setPublicIp(null, 'lambda'); // a Lambda function in a VPC never has a public IP
    facts.set('subnetId', config.lambda?.subnetIds[0], 'lambda');
    facts.set('securityGroupIds', config.lambda?.securityGroupIds, 'lambda');
    const subnetId = facts.values.subnetId;
    if (!facts.has('privateIp') && subnetId && facts.has('region')) {
      const part = await findLambdaInterfaces(ec2(), subnetId, { signal, timeoutMs: timeouts.ec2Ms });
      if (!onGap(part, 'lambda') && part.ok) {
        const eni = pickLambdaInterface(part.value, lambdaFunction, facts.values.securityGroupIds);
        facts.set('privateIp', eni?.PrivateIpAddress, 'ec2');
        tried.push({
          step: 'lambda',
          outcome: eni ? `Hyperplane ENI ${eni.NetworkInterfaceId}` : `no Lambda ENI in ${subnetId}`,
        });
      }
    } else {
      tried.push({
        step: 'lambda',
        outcome: subnetId ? 'ok' : 'no subnet configured (VPCE_DOCTOR_SUBNET_ID)',
      });
    }
  }

  // 4. IMDSv2 (EC2 instances, ECS on EC2 with a hop limit above 1).
  const wanted: FactKey[] = [
    'vpcId',
    'subnetId',
    'privateIp',
    'region',
    'availabilityZone',
    'securityGroupIds',
  ];
  if (!lambdaFunction && facts.missing(wanted).length > 0) {
    if (env['AWS_EC2_METADATA_DISABLED']?.toLowerCase() === 'true') {
      tried.push({ step: 'imds', outcome: 'skipped: AWS_EC2_METADATA_DISABLED=true' });
    } else {
      try {
        const imds = await readImds(fetchFn, {
          baseUrl: env['AWS_EC2_METADATA_SERVICE_ENDPOINT'] || DEFAULT_IMDS,
          signal,
          tokenTimeoutMs: timeouts.imdsTokenMs,
          timeoutMs: timeouts.imdsMs,
        });
        facts.set('region', imds.region, 'imds');
        facts.set('accountId', imds.accountId, 'imds');
        // IMDS describes the instance's primary interface. An address already known (an ECS
        // awsvpc task's own ENI, or configured) may be another ENI: its subnet, VPC and
        // groups then come from EC2 (step 5), not from the primary MAC.
        const known = facts.values.privateIp;
        if (known === undefined || known === imds.privateIp) {
          setAz(imds.availabilityZone, 'imds');
          setAz(imds.availabilityZoneId, 'imds');
          facts.set('privateIp', imds.privateIp, 'imds');
          facts.set('subnetId', imds.subnetId, 'imds');
          facts.set('vpcId', imds.vpcId, 'imds');
          facts.set('securityGroupIds', imds.securityGroupIds, 'imds');
          setPublicIp(imds.publicIp, 'imds');
          tried.push({ step: 'imds', outcome: 'ok' });
        } else {
          tried.push({
            step: 'imds',
            outcome: `ok, Region and account only: ${known} is not the primary address ${imds.privateIp ?? '(none)'}`,
          });
        }
        imdsVpc = {
          ...(imds.vpcId ? { vpcId: imds.vpcId } : {}),
          ...(imds.vpcCidr ? { cidr: imds.vpcCidr } : {}),
        };
      } catch (err) {
        tried.push({ step: 'imds', outcome: `failed: ${errorText(err)}` });
      }
    }
  }

  announceVpc();

  // 5. Our own address, looked up in EC2: the ENI says subnet, VPC, AZ and security groups.
  const ec2Ready = () => facts.has('region');
  // VPCs often share a CIDR, so an address can be on several ENIs: one in another VPC, subnet
  // or AZ than the facts already known is not ours.
  const agreeing = async (owners: NetworkInterface[]): Promise<NetworkInterface[]> => {
    const { vpcId, subnetId, availabilityZone: az, availabilityZoneId: azId } = facts.values;
    let left = owners.filter(
      (e) =>
        (vpcId === undefined || e.VpcId === vpcId) &&
        (subnetId === undefined || e.SubnetId === subnetId) &&
        (az === undefined || e.AvailabilityZone === undefined || e.AvailabilityZone === az) &&
        (azId === undefined || e.AvailabilityZoneId === undefined || e.AvailabilityZoneId === azId),
    );
    const cidr = ecsSubnetCidr;
    if (left.length > 1 && cidr) {
      const ids = [...new Set(left.map((e) => e.SubnetId).filter((id): id is string => id !== undefined))];
      const part = await describeSubnets(ec2(), ids, { signal, timeoutMs: timeouts.ec2Ms });
      if (!onGap(part, 'interfaces') && part.ok) {
        const cidrOf = new Map(part.value.map((subnet) => [subnet.SubnetId, subnet.CidrBlock]));
        left = left.filter((e) => !cidrOf.has(e.SubnetId) || sameCidr(cidrOf.get(e.SubnetId), cidr));
      }
    }
    return left;
  };
  const knownPlace = () =>
    [
      facts.values.vpcId,
      facts.values.subnetId,
      facts.values.availabilityZone ?? facts.values.availabilityZoneId,
      ecsSubnetCidr && `subnet ${ecsSubnetCidr}`,
    ]
      .filter(Boolean)
      .join(', ');
  if (
    !lambdaFunction &&
    facts.missing(['vpcId', 'subnetId', 'availabilityZone', 'securityGroupIds']).length > 0
  ) {
    const known = facts.values.privateIp;
    const addresses = known ? [known] : ownIpv4Addresses(deps.networkInterfaces ?? osNetworkInterfaces);
    if (addresses.length === 0) {
      tried.push({ step: 'interfaces', outcome: 'no non-internal IPv4 address' });
    } else if (!ec2Ready()) {
      tried.push({ step: 'interfaces', outcome: 'skipped: no region for EC2' });
    } else {
      const part = await findInterfacesByAddress(ec2(), addresses, {
        signal,
        timeoutMs: timeouts.ec2Ms,
        vpcId: facts.values.vpcId,
      });
      if (!onGap(part, 'interfaces') && part.ok) {
        // The address order we asked in decides (a known address first, else interface order):
        // the first address with an ENI that agrees with the known facts.
        let owned: { address: string; owners: NetworkInterface[] } | undefined;
        let match: { address: string; candidates: NetworkInterface[] } | undefined;
        for (const address of addresses) {
          const owners = part.value.filter((e) => eniAddresses(e).includes(address));
          if (owners.length === 0) continue;
          owned ??= { address, owners };
          const candidates = await agreeing(owners);
          if (candidates.length > 0) {
            match = { address, candidates };
            break;
          }
        }
        const [eni] = match?.candidates ?? [];
        if (owned === undefined) {
          tried.push({ step: 'interfaces', outcome: `no ENI in EC2 owns ${addresses.join(', ')}` });
        } else if (match === undefined || eni === undefined) {
          tried.push({
            step: 'interfaces',
            outcome: `${owned.address} is on ${owned.owners.map((e) => describeCandidate(candidateOf(e))).join(', ')}, none of them in ${knownPlace()}`,
          });
        } else if (match.candidates.length > 1) {
          const { address, candidates } = match;
          ambiguous = { address, candidates: candidates.map(candidateOf) };
          tried.push({
            step: 'interfaces',
            outcome: `${address} is on ${candidates.length} ENIs: ${ambiguous.candidates.map(describeCandidate).join(', ')}`,
          });
        } else {
          const { address } = match;
          facts.set('privateIp', address, 'interfaces');
          facts.set('subnetId', eni.SubnetId, 'ec2');
          facts.set('vpcId', eni.VpcId, 'ec2');
          setAz(eni.AvailabilityZone, 'ec2');
          setAz(eni.AvailabilityZoneId, 'ec2');
          facts.set('securityGroupIds', groupIds(eni), 'ec2');
          if (facts.values.privateIp === address) setPublicIp(publicIpOf(eni, address), 'ec2');
          tried.push({ step: 'interfaces', outcome: `${address} is on ${eni.NetworkInterfaceId}` });
        }
      }
    }
  }

  announceVpc();

  // 6. The subnet says the VPC and the AZ when nothing else did.
  const subnetId = facts.values.subnetId;
  if (subnetId && facts.missing(['vpcId', 'availabilityZone']).length > 0 && ec2Ready()) {
    const part = await describeSubnet(ec2(), subnetId, { signal, timeoutMs: timeouts.ec2Ms });
    if (!onGap(part, 'subnet') && part.ok) {
      facts.set('vpcId', part.value?.VpcId, 'ec2');
      setAz(part.value?.AvailabilityZone, 'ec2');
      setAz(part.value?.AvailabilityZoneId, 'ec2');
      tried.push({
        step: 'subnet',
        outcome: part.value ? `${subnetId} is in ${part.value.VpcId}` : `${subnetId} not found`,
      });
    }
  }

  announceVpc();
  const missing = ESSENTIAL.filter((e) => !facts.has(e.key));
  if (missing.length > 0 || ambiguous) {
    findings.push(unresolvedFinding(missing, facts, tried, ambiguous));
    return { findings };
  }

  // The VPC's primary CIDR places AmazonProvidedDNS at base+2.
  const vpcId = facts.values.vpcId!;
  let resolvers: Resolver[];
  if (config.resolvers && config.resolvers.length > 0) {
    resolvers = config.resolvers;
    facts.sources['resolvers'] = 'config';
  } else {
    let vpcCidr = imdsVpc.vpcId === vpcId ? imdsVpc.cidr : undefined;
    const shared = vpcCidr ? undefined : deps.vpcCidr?.(vpcId);
    if (shared) vpcCidr = await untilAborted(shared, signal);
    if (!vpcCidr) {
      const part = await describeVpc(ec2(), vpcId, { signal, timeoutMs: timeouts.ec2Ms });
      if (!onGap(part, 'vpc') && part.ok) vpcCidr = part.value?.CidrBlock;
    }
    const readFile = deps.readFile ?? ((path: string) => readFileFs(path, 'utf8'));
    const resolvConf = await readFile('/etc/resolv.conf').catch(() => '');
    resolvers = readResolvers(resolvConf, vpcCidr);
    facts.sources['resolvers'] = resolvers.some((r) => r.source === 'resolv.conf') ? 'resolv.conf' : 'vpc';
  }

  const context: AgentContext = {
    region: facts.values.region!,
    vpcId,
    subnetId: facts.values.subnetId!,
    availabilityZone: facts.values.availabilityZone ?? facts.values.availabilityZoneId ?? '',
    ...(facts.values.availabilityZoneId ? { availabilityZoneId: facts.values.availabilityZoneId } : {}),
    privateIp: facts.values.privateIp!,
    securityGroupIds: facts.values.securityGroupIds ?? [],
    resolvers,
    sources: publicIp ? { ...facts.sources, publicIp: publicIp.source } : facts.sources,
    ...(facts.values.accountId ? { accountId: facts.values.accountId } : {}),
    ...(publicIp ? { publicIp: publicIp.value } : {}),
  };
  applyClientKind(context, config.clientKind, lambdaFunction);
  return { context, findings };
}

/** The promise's value, or undefined once the signal aborts first (or the promise fails). */
function untilAborted<T>(promise: Promise<T | undefined>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const onAbort = () => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve(undefined);
      },
    );
  });
}

/** Lambda draws its return ports from 1024-65535, not Linux's range: the ACL check needs to know. */
function applyClientKind(
  context: AgentContext,
  configured: ClientKind | undefined,
  lambdaFunction: string | undefined,
): void {
  const kind = configured ?? (lambdaFunction ? 'lambda' : undefined);
  if (kind === undefined) return;
  context.clientKind = kind;
  context.sources['clientKind'] = configured ? 'config' : 'lambda';
}

function describeCandidate(c: Candidate): string {
  return `${c.networkInterfaceId} (${c.vpcId}, ${c.subnetId}, ${c.availabilityZone})`;
}

function unresolvedFinding(
  missing: Array<{ key: FactKey; env: string }>,
  facts: Facts,
  tried: Step[],
  ambiguous: { address: string; candidates: Candidate[] } | undefined,
): Finding {
  const names = missing.map((m) => m.key).join(', ');
  const steps = tried.map((t) => `${t.step}: ${t.outcome}`).join('; ');
  const set = missing.map((m) => `${m.env}=${exampleFor(m.key)}`).join(' ');
  const fix = ambiguous
    ? `${ambiguous.address} is on ENIs in ${[...new Set(ambiguous.candidates.map((c) => c.vpcId))].join(' and ')}: set VPCE_DOCTOR_VPC_ID to this agent's VPC (e.g. VPCE_DOCTOR_VPC_ID=${ambiguous.candidates[0]?.vpcId ?? 'vpc-…'}), or VPCE_DOCTOR_SUBNET_ID, in the agent's environment (or the same field in its config file)`
    : `Set ${set} in the agent's environment (or the same fields in its config file)`;
  return {
    check: 'context',
    code: 'CONTEXT_UNRESOLVED',
    status: 'unknown',
    message: `could not find ${names} of this agent (${steps})`,
    fix,
    evidence: {
      missing: missing.map((m) => m.key),
      found: { ...facts.values },
      sources: { ...facts.sources },
      tried,
      ...(ambiguous ? { candidates: ambiguous.candidates } : {}),
    },
  };
}

function exampleFor(key: FactKey): string {
  switch (key) {
    case 'vpcId':
      return 'vpc-…';
    case 'subnetId':
      return 'subnet-…';
    case 'privateIp':
      return '<the ENI address, e.g. 10.0.1.23>';
    default:
      return '<region, e.g. us-east-1>';
  }
}
