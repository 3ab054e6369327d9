// The gap matrix (issue 11): for a lab scenario and every EC2 action the agent's policy allows,
// the agent runs once more with that one action denied (the lab's fault proxy answers it with
// EC2's UnauthorizedOperation) and must stay honest:
//   (a) no target fails that did not fail with nothing denied;
//   (b) no root cause is named whose data rested on the denied action;
//   (c) the exit code is never 2 (an AWS gap is not a usage error);
//   (d) when the action was called and denied, the report names it in an `unknown` finding.
// The actions come from deploy/iam-policy.json (which test/integration/iam-calls.test.ts holds
// equal to what the agent calls on the wire), not from a hand-picked list. The runs share the
// scenario's lab (test/e2e/support/scenario-suite.ts) and are the real CLI's, made one after
// another in one process (support/gap-driver.ts) so Node and the SDK load once per scenario.
import { readFileSync } from 'node:fs';
import type { Finding, Report } from '../../../src/model.js';
import { labExec, type Scenario, topology } from '../../lab/index.js';
import { FAULT_PROXY_LOG } from '../../lab/lab.js';
import type { DriverResult } from './gap-driver.js';

const policy = JSON.parse(
  readFileSync(new URL('../../../deploy/iam-policy.json', import.meta.url), 'utf8'),
) as {
  Statement: Array<{ Effect: string; Action: string[] }>;
};
const ALLOWED = [...new Set(policy.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) => s.Action))];

/** What the hub-and-spoke chain reads (issue 15): Route 53, Resolver, the TGW, peering, the hub role. */
const HUB_ACTION = /^(route53|route53resolver|sts):|^ec2:(.*TransitGateway.*|DescribeVpcPeeringConnections)$/;

/** Every EC2 action the agent may call that the hub chain does not add, from its policy. */
export const EC2_ACTIONS = ALLOWED.filter((a) => a.startsWith('ec2:') && !HUB_ACTION.test(a))
  .map((a) => a.slice('ec2:'.length))
  .sort();

/**
 * The actions the hub chain adds, as `service:Action` (the fault proxy denies them by the
 * request's signing service): denied in turn for the hub scenarios, whose EC2 reads are the ones
 * every other scenario's matrix covers already. sts:AssumeRole on the hub role denies every hub
 * fact read through it.
 */
export const HUB_ACTIONS = ALLOWED.filter((a) => HUB_ACTION.test(a) && a !== 'sts:GetCallerIdentity').sort();

/**
 * What each action feeds: inventory parts (the names of src/aws/inventory.ts) and `context`
 * (where the agent is: its subnet, AZ, groups — in the lab found through its own ENI, which
 * DescribeNetworkInterfaces returns; DescribeSubnets is only a fallback there). A part that
 * depends on another's answer is lost with it (no DHCP options without the VPC, no ENIs or
 * service details without the endpoints).
 */
export const ACTION_LOSES: Record<string, string[]> = {
  DescribeVpcs: ['vpc', 'dhcpOptions'],
  DescribeVpcAttribute: ['dnsSupport', 'dnsHostnames'],
  DescribeDhcpOptions: ['dhcpOptions'],
  DescribeSubnets: ['subnets'],
  DescribeRouteTables: ['routeTables'],
  DescribeNetworkAcls: ['networkAcls'],
  DescribeVpcEndpoints: ['endpoints', 'endpointInterfaces', 'services'],
  DescribeNetworkInterfaces: ['endpointInterfaces', 'context'],
  DescribeSecurityGroups: ['securityGroups'],
  DescribePrefixLists: ['prefixLists'],
  DescribeManagedPrefixLists: ['prefixLists'],
  GetManagedPrefixListEntries: ['prefixLists'],
  DescribeVpcEndpointServices: ['services'],
  DescribeFlowLogs: ['flowLogs'],
  // The hub chain (issue 15), by `service:Action`: the parts are this matrix's own labels.
  'route53:ListHostedZonesByVPC': ['zoneAssociations'],
  'route53:ListHostedZonesByName': ['zones'],
  'route53:GetHostedZone': ['zoneAssociations'],
  'route53:ListResourceRecordSets': ['zoneRecords'],
  'route53resolver:ListResolverRules': ['rules'],
  'route53resolver:ListResolverRuleAssociations': ['rules'],
  'route53resolver:ListResolverEndpointIpAddresses': ['rules'],
  'ec2:DescribeTransitGatewayAttachments': ['tgw'],
  'ec2:DescribeTransitGatewayVpcAttachments': ['tgw'],
  'ec2:DescribeTransitGatewayRouteTables': ['tgw'],
  'ec2:GetTransitGatewayRouteTableAssociations': ['tgw'],
  'ec2:SearchTransitGatewayRoutes': ['tgw'],
  'ec2:DescribeVpcPeeringConnections': ['peering'],
  'sts:AssumeRole': ['hub', 'tgw'],
};

/**
 * Actions whose data another action also returns: DescribeManagedPrefixLists lists the
 * AWS-managed prefix lists too, and DescribePrefixLists lists them (not the customer-managed
 * ones). An agent that read the data there and names no gap has lost nothing; one that names the
 * gap is held to having lost it.
 */
export const ALSO_READ_BY: Record<string, string[]> = {
  DescribePrefixLists: ['DescribeManagedPrefixLists'],
  DescribeManagedPrefixLists: ['DescribePrefixLists'],
};

/**
 * The data each cause rests on: naming it says that data was read. A nested list is data the
 * cause can read from any one of several parts (an ENI's AZ from its subnet or from the ENI).
 * Route tables carry their subnet associations and ACLs theirs, so neither needs the subnets.
 */
export const CAUSE_RESTS_ON: Record<string, Array<string | string[]>> = {
  ENDPOINT_MISSING: ['endpoints'],
  ENDPOINT_NOT_FOUND: ['endpoints'],
  ENDPOINT_NOT_AVAILABLE: ['endpoints'],
  ENDPOINT_PRIVATE_DNS_DISABLED: ['endpoints'],
  ENDPOINT_NOT_IN_AZ: ['endpoints', 'context', ['subnets', 'endpointInterfaces']],
  ENDPOINT_NO_DNS_NAME: ['endpoints', 'services'],
  ENDPOINT_NOT_ON_PATH: ['endpoints'],
  ENDPOINT_PRIVATE_DNS_BY_ZONE: ['endpoints'],
  // The policy document is part of DescribeVpcEndpoints' answer.
  ENDPOINT_POLICY_DENIES: ['endpoints'],
  ENDPOINT_POLICY_ALLOWS_NOTHING: ['endpoints'],
  DNS_NO_LOCAL_ENDPOINT: ['endpoints'],
  VPC_DNS_SUPPORT_DISABLED: ['dnsSupport'],
  VPC_DNS_HOSTNAMES_DISABLED: ['dnsHostnames'],
  DHCP_CUSTOM_DNS: ['vpc', 'dhcpOptions'],
  // "private, but not this endpoint's" and "public where private was due" need the endpoints.
  DNS_RESOLVES_UNEXPECTED_PRIVATE: ['endpoints', 'endpointInterfaces'],
  DNS_RESOLVES_PUBLIC: ['endpoints'],
  ROUTE_GATEWAY_MISSING: ['routeTables', 'endpoints', 'context'],
  ROUTE_BLACKHOLE: ['routeTables', 'context'],
  ROUTE_MORE_SPECIFIC_OVERRIDES: ['routeTables', 'prefixLists', 'context'],
  ROUTE_NO_PATH: ['routeTables', 'prefixLists', 'context'],
  ROUTE_IP_NOT_IN_PREFIX_LIST: ['prefixLists'],
  ROUTE_IGW_NO_PUBLIC_IP: ['routeTables', 'context'],
  ROUTE_VIA_NAT: ['routeTables', 'context'],
  ROUTE_VIA_OTHER_TARGET: ['routeTables', 'context'],
  SG_AGENT_EGRESS_DENIED: ['securityGroups', 'context'],
  SG_ENDPOINT_INGRESS_DENIED: ['securityGroups', 'endpoints', 'context'],
  NACL_AGENT_SUBNET_DENIED: ['networkAcls', 'context'],
  NACL_ENDPOINT_SUBNET_DENIED: ['networkAcls', 'endpointInterfaces'],
  NACL_EPHEMERAL_PARTIAL: ['networkAcls', 'context'],
  // The hub chain (issue 15). Which zones exist (by name, or through the hub role) and which this
  // VPC has; not their records. A TGW or peering cause is named only for an address the engine
  // recognises as a hub endpoint's: through an associated zone's records, a rule, or the hub's endpoints.
  HUB_ZONE_NOT_ASSOCIATED: ['zones', 'zoneAssociations'],
  HUB_RULE_NOT_ASSOCIATED: ['rules'],
  HUB_RULE_TARGETS_DOWN: ['rules'],
  TGW_ROUTE_MISSING: ['routeTables', 'tgw', ['zoneAssociations', 'rules', 'hub']],
  TGW_RETURN_ROUTE_MISSING: ['routeTables', 'tgw', ['zoneAssociations', 'rules', 'hub']],
  PEERING_NOT_ACTIVE: ['routeTables', 'peering', ['zoneAssociations', 'rules', 'hub']],
  // The hub endpoint is found from the associated zone's records.
  HUB_SG_EXCLUDES_SPOKE: ['hub', 'zoneAssociations', 'zoneRecords'],
  // IPv6 (issue 16): every IPv6 cause needs the agent subnet's IPv6 block (the subnets); the ENIs'
  // IPv6 addresses (and their subnets) come from the endpoint ENIs.
  SG_IPV6_RULE_MISSING: ['securityGroups', 'subnets', 'endpoints', 'endpointInterfaces', 'context'],
  NACL_IPV6_RULE_MISSING: ['networkAcls', 'subnets', 'endpointInterfaces', 'context'],
  ENDPOINT_IPV4_ONLY_AAAA_FIRST: ['endpoints', 'endpointInterfaces', 'subnets', 'context'],
  ENDPOINT_IPV6_ONLY_AGENT_IPV4: ['endpoints', 'subnets', 'context'],
  ROUTE_IPV6_NO_PATH: ['routeTables', 'subnets', 'context'],
  ROUTE_IPV6_VIA_EGRESS_ONLY_IGW: ['routeTables', 'subnets', 'context'],
  ROUTE_IPV6_VIA_OTHER_TARGET: ['routeTables', 'subnets', 'context'],
  // "The configuration allows this path": every part of the path was read.
  PROBE_CONTRADICTS_CONFIG: [
    'routeTables',
    'securityGroups',
    'networkAcls',
    'endpoints',
    'endpointInterfaces',
    'context',
  ],
};

/** Causes that rest on what the probes saw (or on the gap itself), not on configuration. */
export const OBSERVED_CAUSES = new Set([
  'DNS_TIMEOUT',
  'DNS_SERVFAIL',
  'DNS_NXDOMAIN',
  'DNS_NODATA',
  'DNS_REFUSED',
  'DNS_ERROR',
  'DNS_MALFORMED_RESPONSE',
  'DNS_RESOLVERS_DISAGREE',
  'DNS_ANSWER_UNVERIFIED',
  'TCP_TIMEOUT',
  'TCP_REFUSED',
  'TCP_UNREACHABLE',
  'TCP_ERROR',
  'TLS_NAME_MISMATCH',
  'TLS_UNTRUSTED',
  'TLS_HANDSHAKE_FAILED',
  'TLS_TIMEOUT',
  'AWS_PERMISSION_DENIED',
  'AWS_THROTTLED',
  'AWS_API_ERROR',
  'CONTEXT_UNRESOLVED',
  'REPORT_DEADLINE_EXCEEDED',
  'ENDPOINT_UNKNOWN',
  'ROUTE_UNKNOWN',
  'SG_UNKNOWN',
  'NACL_UNKNOWN',
  'ENDPOINT_POLICY_UNDECIDABLE',
  'ENDPOINT_POLICY_UNREADABLE',
  // What an HTTPS request through the ENI got back, and what the SDK's other names resolve to.
  'L7_NOT_AWS',
  'L7_NO_RESPONSE',
  'L7_SKIPPED',
  'STS_GLOBAL_ENDPOINT_BYPASS',
  'SDK_NAME_PUBLIC',
  'SDK_NAME_PRIVATE',
  'SDK_NAME_UNRESOLVED',
  'FLOWLOG_REJECT_SEEN',
  'FLOWLOG_NOT_AVAILABLE',
  // A warning about our own reading, never a failure: checked by (a).
  'CONFIG_CONTRADICTS_PROBE',
  'HUB_UNREADABLE',
  'ROUTE53_UNREADABLE',
]);

const AGENT = ['report', '--format', 'json'];

/** One agent run: what it printed and how it exited. */
export interface AgentRun {
  code: number;
  report?: Report;
  stdout: string;
  stderr: string;
}

export interface GapRow extends AgentRun {
  action: string;
  run: string;
}

/** Targets, their status and root cause, and the report's own non-passing findings, on one line. */
export function summary(r: Report | undefined): string {
  if (!r) return '(no report)';
  return [
    `status=${r.status}`,
    ...r.targets.map((t) => `${t.shortName}=${t.status}${t.rootCause ? `(${t.rootCause.code})` : ''}`),
    ...r.findings.filter((f) => f.status !== 'pass').map((f) => `[${f.code}:${f.status}]`),
  ].join(' ');
}

type Calls = Map<string, Array<{ action: string; denied: boolean; service?: string }>>;

/** Which actions each run called and which the proxy denied, from the proxy's call log. */
function proxyCalls(): Calls {
  const byRun: Calls = new Map();
  let text = '';
  try {
    text = readFileSync(FAULT_PROXY_LOG, 'utf8');
  } catch {
    return byRun;
  }
  for (const line of text.split('\n')) {
    if (!line) continue;
    const call = JSON.parse(line) as { run?: string; action: string; denied: boolean; service?: string };
    if (!call.run) continue;
    const list = byRun.get(call.run) ?? [];
    list.push({
      action: call.action,
      denied: call.denied,
      ...(call.service ? { service: call.service } : {}),
    });
    byRun.set(call.run, list);
  }
  return byRun;
}

function mentions(finding: Finding, action: string): boolean {
  return `${finding.message} ${JSON.stringify(finding.evidence ?? {})}`.includes(action);
}

/** The actions the matrix denies for a scenario: every EC2 action (hub scenarios: every hub action) it does not deny already. */
export function matrixActions(scenario: Scenario): string[] {
  return (scenario.hub ? HUB_ACTIONS : EC2_ACTIONS).filter((a) => !(scenario.deny ?? []).includes(a));
}

/** `ec2:X` or bare `X` (EC2) → the proxy's log's service and action. */
function splitAction(action: string): { service: string; bare: string } {
  const colon = action.indexOf(':');
  return colon < 0
    ? { service: 'ec2', bare: action }
    : { service: action.slice(0, colon), bare: action.slice(colon + 1) };
}

/** The call is this action (an EC2 action's calls may carry no service in older logs). */
function isCall(call: { action: string; service?: string }, action: string): boolean {
  const { service, bare } = splitAction(action);
  return call.action === bare && (call.service ?? 'ec2') === service;
}

const DRIVER = ['node', '--import', 'tsx', 'test/e2e/support/gap-driver.ts'];

/** Runs the agent in the running lab once per action, that action denied on top of the scenario's. */
export async function runGapMatrix(
  scenario: Scenario,
  ns: 'a' | 'b' | 'spoke',
): Promise<{ rows: Map<string, GapRow>; calls: Calls }> {
  const stamp = Date.now().toString(36);
  const actions = matrixActions(scenario);
  const runs = actions.map((action) => {
    const run = `${scenario.name}.${action}.${stamp}`;
    const env = { AWS_ENDPOINT_URL: topology.faultProxyUrl([...(scenario.deny ?? []), action], run) };
    return { run, args: AGENT, env };
  });
  const result = await labExec(DRIVER, { ns, timeoutMs: 300_000, input: JSON.stringify(runs) });
  let results: DriverResult[];
  try {
    results = JSON.parse(result.stdout) as DriverResult[];
  } catch {
    throw new Error(`the gap driver printed no results (exit ${result.code}): ${result.stderr.slice(-2000)}`);
  }
  const rows = new Map<string, GapRow>();
  actions.forEach((action, i) => {
    const r = results[i]!;
    let report: Report | undefined;
    try {
      report = JSON.parse(r.stdout) as Report;
    } catch {
      report = undefined;
    }
    rows.set(action, { action, ...r, ...(report ? { report } : {}) });
  });
  return { rows, calls: proxyCalls() };
}
export function gapRowProblems(row: GapRow, base: AgentRun, calls: Calls): string[] {
  const { action } = row;
  const r = row.report;
  const problems: string[] = [];
  if (row.code === 2) problems.push(`(c) exit 2, a usage error: ${row.stderr.trim()}`);
  if (!r)
    return [...problems, `no JSON report (exit ${row.code}): ${(row.stderr || row.stdout).slice(0, 300)}`];

  const failedBefore = new Set(
    (base.report?.targets ?? []).filter((t) => t.status === 'fail').map((t) => t.shortName),
  );
  for (const t of r.targets) {
    if (t.status === 'fail' && !failedBefore.has(t.shortName))
      problems.push(
        `(a) ${t.shortName} fails (${t.rootCause?.code ?? 'no root cause'}) but did not undenied`,
      );
  }

  const runCalls = calls.get(row.run) ?? [];
  const denied = runCalls.filter((c) => isCall(c, action) && c.denied).length;
  const { bare } = splitAction(action);
  // Flow logs are evidence for failures, never the basis of a verdict: naming the gap as info
  // is enough there.
  const evidenceOnly = (ACTION_LOSES[action] ?? []).every((p) => p === 'flowLogs');
  const all = [...r.findings, ...r.targets.flatMap((t) => t.findings)];
  const namedIt = all.some(
    (f) => (f.status === 'unknown' || (evidenceOnly && f.status === 'info')) && mentions(f, bare),
  );
  const readElsewhere = runCalls.some(
    (c) => !c.denied && (ALSO_READ_BY[action] ?? []).some((a) => isCall(c, a)),
  );

  const lost = new Set(denied > 0 && (namedIt || !readElsewhere) ? (ACTION_LOSES[action] ?? []) : []);
  const named: Array<{ where: string; code: string; status: string }> = [
    ...r.targets
      .filter((t) => t.rootCause && (t.status === 'fail' || t.status === 'warn'))
      .map((t) => ({ where: t.shortName, code: t.rootCause!.code, status: t.status })),
    ...r.findings
      .filter((f) => f.status === 'fail' || f.status === 'warn')
      .map((f) => ({ where: 'report', code: f.code, status: f.status })),
  ];
  for (const { where, code, status } of named) {
    const rests = CAUSE_RESTS_ON[code];
    if (!rests) {
      if (!OBSERVED_CAUSES.has(code))
        problems.push(`${where}: cause ${code} is unclassified: add it to CAUSE_RESTS_ON or OBSERVED_CAUSES`);
      continue;
    }
    const missing = rests.filter((p) => (Array.isArray(p) ? p.every((q) => lost.has(q)) : lost.has(p)));
    if (missing.length > 0)
      problems.push(
        `(b) ${where} ${status} ${code}, which rests on ${missing.join(', ')} (lost with ${action})`,
      );
  }

  if (denied > 0) {
    const outcome = (report: Report | undefined) =>
      JSON.stringify((report?.targets ?? []).map((t) => [t.shortName, t.status, t.rootCause?.code]));
    if (!namedIt && !(readElsewhere && outcome(r) === outcome(base.report)))
      problems.push(`(d) ${action} was denied ${denied}× but no unknown finding names it`);
    if (namedIt && !evidenceOnly && r.status === 'pass')
      problems.push(`(d) status pass although ${action} was denied and named`);
  }
  return problems;
}
