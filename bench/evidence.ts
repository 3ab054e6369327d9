// What each tool's output says about a lab scenario, scored the same way for all three: does it
// flag the failing services (and only those), does it hold the facts the root cause follows
// from, and does it name the cause. The agent's report is read for its root-cause codes; the
// incident shell's raw output (bench/incident-shell.sh) and blackbox_exporter's debug pages
// (bench/blackbox.ts) are read by the rules below, one per root-cause code the lab produces.
//
// "Names" means the failing command's own message states the cause (dig's "status: SERVFAIL",
// Go's "x509: certificate is valid for …"). A control-plane dump that holds the fact counts as
// evidence, not as naming: the engineer still has to find it among the pages and tie it to the
// failure.
import type {
  IpPermission,
  NetworkAcl,
  NetworkInterface,
  RouteTable,
  SecurityGroup,
  Subnet,
  VpcEndpoint,
} from '@aws-sdk/client-ec2';
import type { Report } from '../src/model.js';
import type { ProbeResult } from './blackbox.js';

export interface ShellStep {
  what: string;
  output: string;
  rc: number;
  ms: number;
}

/** Splits incident-shell.sh output into its `### STEP` … `### END rc= ms=` frames. */
export function parseShellOutput(text: string): ShellStep[] {
  const steps: ShellStep[] = [];
  const frame = /^### STEP (.+)\n([\s\S]*?)\n?### END rc=(\d+) ms=(\d+)$/gm;
  for (const m of text.matchAll(frame)) {
    steps.push({ what: m[1]!, output: m[2]!, rc: Number(m[3]), ms: Number(m[4]) });
  }
  return steps;
}

/** A service the scenario is about, with what the lab knows of it. */
export interface TargetFacts {
  shortName: string;
  /** com.amazonaws.us-east-1.sts, or the endpoint service's name */
  service: string;
  hostname: string;
  interface: boolean;
  eniIps: string[];
}

export interface ScenarioFacts {
  targets: TargetFacts[];
  /** shortName → the root-cause code the agent must name; services not listed must pass. */
  expected: Record<string, string | undefined>;
  subnetId: string;
  /** The workload's own ENI: the way to its security groups. */
  agentEniId: string;
  /** AmazonProvidedDNS addresses (VPC base + 2, 169.254.169.253). */
  vpcResolvers: string[];
}

export interface Judgement {
  /** it flags every service the scenario breaks */
  flagsFailures: boolean;
  /** it flags a service the scenario leaves working */
  falseAlarm: boolean;
  /** the facts the root cause follows from are in its output, for every broken service */
  evidence: boolean;
  /** it states the root cause of every broken service (the healthy scenario: it stays quiet) */
  names: boolean;
  /** per broken service: what it showed */
  notes: string[];
}

const PRIVATE = /^(10\.|172\.(1[6-9]|2\d|3[01])\.|192\.168\.)/;

// ---- the incident shell -------------------------------------------------------------------

/** The AWS CLI prints the API's JSON: the SDK's types describe it. */
interface Ec2Dump {
  endpoints?: VpcEndpoint[];
  enis?: NetworkInterface[];
  subnets?: Subnet[];
  routeTables?: RouteTable[];
  groups?: SecurityGroup[];
  acls?: NetworkAcl[];
  dnsHostnames?: boolean;
  dnsSupport?: boolean;
}

function parseJson<T>(steps: ShellStep[], what: string): T | undefined {
  const step = steps.find((s) => s.what === what);
  if (step?.rc !== 0) return undefined;
  try {
    return JSON.parse(step.output) as T;
  } catch {
    return undefined;
  }
}

function ec2Dump(steps: ShellStep[]): Ec2Dump {
  const get = <T>(what: string) => parseJson<T>(steps, what);
  const dump: Ec2Dump = {};
  const put = <K extends keyof Ec2Dump>(key: K, value: Ec2Dump[K] | undefined) => {
    if (value !== undefined) dump[key] = value;
  };
  put('endpoints', get<{ VpcEndpoints?: VpcEndpoint[] }>('describe-vpc-endpoints')?.VpcEndpoints);
  put(
    'enis',
    get<{ NetworkInterfaces?: NetworkInterface[] }>('describe-network-interfaces')?.NetworkInterfaces,
  );
  put('subnets', get<{ Subnets?: Subnet[] }>('describe-subnets')?.Subnets);
  put('routeTables', get<{ RouteTables?: RouteTable[] }>('describe-route-tables')?.RouteTables);
  put('groups', get<{ SecurityGroups?: SecurityGroup[] }>('describe-security-groups')?.SecurityGroups);
  put('acls', get<{ NetworkAcls?: NetworkAcl[] }>('describe-network-acls')?.NetworkAcls);
  type Attr = Record<string, { Value?: boolean } | undefined>;
  put('dnsHostnames', get<Attr>('describe-vpc-attribute enableDnsHostnames')?.['EnableDnsHostnames']?.Value);
  put('dnsSupport', get<Attr>('describe-vpc-attribute enableDnsSupport')?.['EnableDnsSupport']?.Value);
  return dump;
}

const allows443 = (perms: IpPermission[] = []): boolean =>
  perms.some(
    (p) =>
      p.IpProtocol === '-1' || (p.IpProtocol === 'tcp' && (p.FromPort ?? 0) <= 443 && (p.ToPort ?? 0) >= 443),
  );

function subnetRouteTable(dump: Ec2Dump, subnetId: string): RouteTable | undefined {
  const tables = dump.routeTables ?? [];
  return (
    tables.find((t) => t.Associations?.some((a) => a.SubnetId === subnetId)) ??
    tables.find((t) => t.Associations?.some((a) => a.Main === true))
  );
}

interface ShellView {
  steps: ShellStep[];
  dump: Ec2Dump;
  facts: ScenarioFacts;
}

const digOf = (v: ShellView, t: TargetFacts) => v.steps.find((s) => s.what === `dig ${t.hostname}`);

function digAnswers(step: ShellStep | undefined): string[] {
  if (!step) return [];
  return [...step.output.matchAll(/^\S+\s+\d+\s+IN\s+A\s+(\S+)$/gm)].map((m) => m[1]!);
}

/** The nc steps that concern a target: its ENIs and the addresses DNS gave for it. */
function ncOf(v: ShellView, t: TargetFacts): ShellStep[] {
  const addresses = new Set([...t.eniIps, ...digAnswers(digOf(v, t))]);
  return v.steps.filter((s) => {
    const m = /^nc (\S+) 443$/.exec(s.what);
    return m !== null && addresses.has(m[1]!);
  });
}

/** What the shell shows failing for a target: a DNS error, a public answer, a refused port. */
function shellSymptoms(v: ShellView, t: TargetFacts): string[] {
  const out: string[] = [];
  const dig = digOf(v, t);
  const status = /status: (\w+)/.exec(dig?.output ?? '')?.[1];
  const answers = digAnswers(dig);
  if (dig?.rc !== 0 || status !== 'NOERROR') out.push(`dig: ${status ?? `exit ${dig?.rc ?? '–'}`}`);
  else if (answers.length === 0) out.push('dig: no A answer');
  else if (t.interface && !answers.every((a) => PRIVATE.test(a)))
    out.push(`dig: public answer ${answers[0]}`);
  const failed = ncOf(v, t).filter((s) => s.rc !== 0);
  if (failed.length > 0) out.push(`nc failed to ${failed.map((s) => s.what.split(' ')[1]).join(', ')}`);
  return out;
}

type Rule = (v: ShellView, t: TargetFacts) => boolean;

const endpointOf = (v: ShellView, t: TargetFacts) =>
  v.dump.endpoints?.find((e) => e.ServiceName === t.service);

/** Per root-cause code: is the fact it follows from in the shell's output? */
const SHELL_EVIDENCE: Record<string, Rule> = {
  ENDPOINT_MISSING: (v, t) => v.dump.endpoints !== undefined && endpointOf(v, t) === undefined,
  ENDPOINT_NOT_AVAILABLE: (v, t) => {
    const state = endpointOf(v, t)?.State;
    return typeof state === 'string' && state.toLowerCase() !== 'available';
  },
  ENDPOINT_PRIVATE_DNS_DISABLED: (v, t) => endpointOf(v, t)?.PrivateDnsEnabled === false,
  VPC_DNS_HOSTNAMES_DISABLED: (v) => v.dump.dnsHostnames === false,
  VPC_DNS_SUPPORT_DISABLED: (v) => v.dump.dnsSupport === false,
  DHCP_CUSTOM_DNS: (v, t) => {
    const server = /^;; SERVER: ([\d.]+)#/m.exec(digOf(v, t)?.output ?? '')?.[1];
    return server !== undefined && !v.facts.vpcResolvers.includes(server);
  },
  ENDPOINT_NOT_IN_AZ: (v, t) => {
    const az = v.dump.subnets?.find((s) => s.SubnetId === v.facts.subnetId)?.AvailabilityZone;
    const ids = endpointOf(v, t)?.NetworkInterfaceIds ?? [];
    const zones = (v.dump.enis ?? [])
      .filter((e) => ids.includes(e.NetworkInterfaceId ?? ''))
      .map((e) => e.AvailabilityZone);
    return az !== undefined && zones.length > 0 && !zones.includes(az);
  },
  SG_ENDPOINT_INGRESS_DENIED: (v, t) => {
    const ids = (endpointOf(v, t)?.Groups ?? []).map((g) => g.GroupId);
    const groups = (v.dump.groups ?? []).filter((g) => ids.includes(g.GroupId));
    return (
      groups.length > 0 && groups.length === ids.length && !groups.some((g) => allows443(g.IpPermissions))
    );
  },
  // Which of the VPC's groups are the workload's? Only its own ENI says; the shell never asks.
  SG_AGENT_EGRESS_DENIED: (v) => v.steps.some((s) => s.output.includes(v.facts.agentEniId)),
  ROUTE_GATEWAY_MISSING: (v, t) => {
    const id = endpointOf(v, t)?.VpcEndpointId;
    const table = subnetRouteTable(v.dump, v.facts.subnetId);
    return id !== undefined && table !== undefined && !table.Routes?.some((r) => r.GatewayId === id);
  },
  ROUTE_VIA_NAT: (v, t) => {
    const table = subnetRouteTable(v.dump, v.facts.subnetId);
    const nat = table?.Routes?.some((r) => r.DestinationCidrBlock === '0.0.0.0/0' && r.NatGatewayId);
    return nat === true && SHELL_EVIDENCE['ROUTE_GATEWAY_MISSING']!(v, t);
  },
  NACL_AGENT_SUBNET_DENIED: (v) => {
    const acl = v.dump.acls?.find((a) => a.Associations?.some((x) => x.SubnetId === v.facts.subnetId));
    return (acl?.Entries ?? []).some((e) => e.RuleAction === 'deny' && (e.RuleNumber ?? 32767) < 32767);
  },
  DNS_TIMEOUT: (v, t) => /timed out/.test(digOf(v, t)?.output ?? ''),
  DNS_SERVFAIL: (v, t) => /status: SERVFAIL/.test(digOf(v, t)?.output ?? ''),
  TLS_NAME_MISMATCH: (v, t) => ncOf(v, t).some((s) => /certificate/i.test(s.output)),
  // Packets dropped though every rule allows them: the failed connection and the full
  // configuration that allows it must both be on the page.
  PROBE_CONTRADICTS_CONFIG: (v, t) =>
    ncOf(v, t).some((s) => s.rc !== 0) &&
    [v.dump.groups, v.dump.acls, v.dump.routeTables, v.dump.endpoints].every((x) => x !== undefined),
};

/**
 * Per root-cause code: the words a probe's own message uses when it states the cause. Read only
 * in the failing service's data-plane output (dig and nc for the shell, the probe pages for
 * blackbox), never in a configuration dump.
 */
const NAMED: Record<string, RegExp> = {
  DNS_TIMEOUT: /timed out|i\/o timeout/,
  DNS_SERVFAIL: /SERVFAIL/,
  DNS_NXDOMAIN: /NXDOMAIN/,
  TLS_NAME_MISMATCH: /certificate is valid for|certificate is not valid for|hostname mismatch/,
};

function judge(
  facts: ScenarioFacts,
  symptoms: (t: TargetFacts) => string[],
  evidence: (code: string, t: TargetFacts) => boolean,
  named: (code: string, t: TargetFacts) => boolean,
): Judgement {
  const broken = facts.targets.filter((t) => t.shortName in facts.expected);
  const working = facts.targets.filter((t) => !(t.shortName in facts.expected));
  const notes: string[] = [];
  let flags = true;
  let ev = true;
  let names = true;
  for (const t of broken) {
    const code = facts.expected[t.shortName];
    const seen = symptoms(t);
    const hasEvidence = code !== undefined && evidence(code, t);
    const isNamed = code !== undefined && named(code, t);
    flags &&= seen.length > 0;
    ev &&= hasEvidence;
    names &&= isNamed;
    notes.push(
      `${t.shortName}: ${seen.length > 0 ? seen.join('; ') : 'nothing flagged'}` +
        `${isNamed ? `; names ${code}` : hasEvidence ? `; holds the facts of ${code}` : ''}`,
    );
  }
  const alarms = working.map((t) => ({ t, seen: symptoms(t) })).filter(({ seen }) => seen.length > 0);
  if (alarms.length > 0)
    notes.push(
      `false alarm: ${alarms.map(({ t, seen }) => `${t.shortName} (${seen.join('; ')})`).join(', ')}`,
    );
  if (broken.length === 0) names = alarms.length === 0;
  return { flagsFailures: flags, falseAlarm: alarms.length > 0, evidence: ev, names, notes };
}

export function judgeShell(steps: ShellStep[], facts: ScenarioFacts): Judgement {
  const v: ShellView = { steps, dump: ec2Dump(steps), facts };
  const dataPlane = (t: TargetFacts) =>
    [digOf(v, t)?.output ?? '', ...ncOf(v, t).map((s) => s.output)].join('\n');
  return judge(
    facts,
    (t) => shellSymptoms(v, t),
    (code, t) => SHELL_EVIDENCE[code]?.(v, t) ?? false,
    (code, t) => NAMED[code]?.test(dataPlane(t)) ?? false,
  );
}

/** blackbox_exporter reads no configuration: what its failed probes' pages say is all it has. */
export function judgeBlackbox(results: ProbeResult[], facts: ScenarioFacts): Judgement {
  const failed = (t: TargetFacts) => results.filter((r) => r.shortName === t.shortName && !r.success);
  const said = (code: string, t: TargetFacts) =>
    NAMED[code]?.test(
      failed(t)
        .map((r) => r.debug)
        .join('\n'),
    ) ?? false;
  return judge(facts, (t) => failed(t).map((r) => `${r.kind} ${r.target} failed`), said, said);
}

/** The agent names a cause when the target's root cause is the code the scenario expects. */
export function judgeAgent(report: Report, facts: ScenarioFacts): Judgement {
  const result = (t: TargetFacts) => report.targets.find((r) => r.shortName === t.shortName);
  const named = (code: string, t: TargetFacts) => result(t)?.rootCause?.code === code;
  return judge(
    facts,
    (t) => {
      const r = result(t);
      return r && r.status !== 'pass' ? [`${r.status}${r.rootCause ? ` ${r.rootCause.code}` : ''}`] : [];
    },
    named,
    named,
  );
}
