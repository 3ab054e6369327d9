// Canned reports and a runner that hands them out: the app's own seam, not a mock of AWS.
import { findingForGap, findingsForGaps } from '../../src/aws/gap-findings.js';
import type { AgentContext, Finding, Gap, Report, Status, TargetReport } from '../../src/model.js';
import { buildReport } from '../../src/report.js';
import type { RunOptions } from '../../src/runner.js';
import { inventory } from '../fixtures/ec2/load.js';

export const context: AgentContext = {
  region: 'us-east-1',
  vpcId: 'vpc-0a1b',
  subnetId: 'subnet-0c2d',
  availabilityZone: 'us-east-1a',
  privateIp: '10.0.1.10',
  securityGroupIds: ['sg-0app'],
  resolvers: [{ address: '10.0.0.2', source: 'resolv.conf' }],
  sources: { vpcId: 'ec2' },
};

const CAUSES: Record<string, Finding> = {
  fail: {
    check: 'sg',
    code: 'SG_ENDPOINT_INGRESS_DENIED',
    status: 'fail',
    message: 'sg-0ep on vpce-02 allows tcp/443 only from 10.9.0.0/16; the agent is 10.0.1.10 (sg-0app)',
    fix: 'aws ec2 authorize-security-group-ingress --group-id sg-0ep --protocol tcp --port 443 --source-group sg-0app',
    evidence: {},
  },
  warn: {
    check: 'endpoint',
    code: 'ENDPOINT_NOT_IN_AZ',
    status: 'warn',
    message: 'vpce-04 has no ENI in us-east-1a',
    fix: 'aws ec2 modify-vpc-endpoint --vpc-endpoint-id vpce-04 --add-subnet-ids subnet-0c2d',
    evidence: {},
  },
  unknown: {
    check: 'sg',
    code: 'AWS_PERMISSION_DENIED',
    status: 'unknown',
    message: 'ec2:DescribeSecurityGroups denied',
    evidence: {},
  },
};

export function target(
  shortName: string,
  status: Exclude<Status, 'info'>,
  options: { required?: boolean; type?: 'Interface' | 'Gateway'; service?: string } = {},
): TargetReport {
  const cause = status === 'pass' ? undefined : CAUSES[status]!;
  return {
    service: options.service ?? `com.amazonaws.us-east-1.${shortName}`,
    shortName,
    hostname: `${shortName}.us-east-1.amazonaws.com`,
    endpointId: `vpce-${shortName.replaceAll('.', '')}`,
    endpointType: options.type ?? 'Interface',
    status,
    required: options.required ?? false,
    ...(cause
      ? { rootCause: { code: cause.code, message: cause.message, ...(cause.fix ? { fix: cause.fix } : {}) } }
      : {}),
    probe: {
      dns: 'private',
      dnsMs: 1.2,
      tcp: 'ok',
      tcpMs: 3.4,
      tls: 'ok',
      tlsMs: 8.9,
      addresses: ['10.0.11.5'],
    },
    findings: [
      { check: 'dns', code: 'DNS_PRIVATE_OK', status: 'pass', message: 'ok', evidence: {} },
      ...(cause
        ? [cause]
        : [{ check: 'sg' as const, code: 'SG_OK', status: 'pass' as const, message: 'ok', evidence: {} }]),
    ],
  };
}

export function report(targets: TargetReport[], findings: Finding[] = []): Report {
  return buildReport({
    version: '9.9.9',
    startedAt: Date.parse('2026-01-01T00:00:00Z'),
    finishedAt: Date.parse('2026-01-01T00:00:00.800Z'),
    context,
    phases: { context: 5, inventory: 120, probes: 600, checks: 2 },
    findings,
    targets,
  });
}

/** What the SDK's error for a closed EC2 endpoint becomes (src/aws/errors.ts). */
export function refused(call: string): Gap {
  return {
    call,
    action: `ec2:${call}`,
    kind: 'error',
    errorCode: 'ECONNREFUSED',
    message: 'connect ECONNREFUSED 127.0.0.1:9',
  };
}

/** The CONTEXT_UNRESOLVED of src/context/discover.ts when only the Region was found. */
export const unresolved: Finding = {
  check: 'context',
  code: 'CONTEXT_UNRESOLVED',
  status: 'unknown',
  message:
    'could not find vpcId, subnetId, privateIp of this agent (config/env: found region; imds: skipped: AWS_EC2_METADATA_DISABLED=true; interfaces: failed: ec2:DescribeNetworkInterfaces ECONNREFUSED)',
  fix: "Set VPCE_DOCTOR_VPC_ID=vpc-… VPCE_DOCTOR_SUBNET_ID=subnet-… VPCE_DOCTOR_PRIVATE_IP=<the ENI address, e.g. 10.0.1.23> in the agent's environment (or the same fields in its config file)",
  evidence: {
    missing: ['vpcId', 'subnetId', 'privateIp'],
    found: { region: 'us-east-1' },
    sources: { region: 'env' },
    tried: [],
  },
};

/** No EC2 API, no IMDS: discovery stops with the Region and nothing else; the runner builds no target. */
export function blind(): Report {
  return buildReport({
    version: '9.9.9',
    startedAt: Date.parse('2026-01-01T00:00:00Z'),
    finishedAt: Date.parse('2026-01-01T00:00:00.100Z'),
    phases: { context: 100 },
    findings: [
      findingForGap(refused('DescribeNetworkInterfaces'), ['context'], ['context'], 'context discovery'),
      unresolved,
    ],
    targets: [],
  });
}

/**
 * The findings of a run whose context was configured but whose EC2 API refuses every call: the
 * discovery steps' and the inventory's, as the runner collects them (one per failed call).
 */
export function econnrefusedEverywhere(): Finding[] {
  const failed = { ok: false as const };
  const snapshot = inventory({
    vpc: { ...failed, gap: refused('DescribeVpcs') },
    dnsSupport: { ...failed, gap: refused('DescribeVpcAttribute') },
    dnsHostnames: { ...failed, gap: refused('DescribeVpcAttribute') },
    dhcpOptions: {
      ...failed,
      gap: {
        ...refused('DescribeVpcs'),
        message: 'DescribeDhcpOptions not made: DescribeVpcs failed (ECONNREFUSED)',
      },
    },
    subnets: { ...failed, gap: refused('DescribeSubnets') },
    routeTables: { ...failed, gap: refused('DescribeRouteTables') },
    networkAcls: { ...failed, gap: refused('DescribeNetworkAcls') },
    endpoints: { ...failed, gap: refused('DescribeVpcEndpoints') },
    endpointInterfaces: { ...failed, gap: refused('DescribeVpcEndpoints') },
    securityGroups: { ...failed, gap: refused('DescribeSecurityGroups') },
    prefixLists: { ...failed, gap: refused('DescribePrefixLists') },
    services: { ...failed, gap: refused('DescribeVpcEndpoints') },
    flowLogs: { ...failed, gap: refused('DescribeFlowLogs') },
  });
  return [
    findingForGap(refused('DescribeNetworkInterfaces'), ['context'], ['context'], 'context discovery'),
    findingForGap(refused('DescribeSubnets'), ['context'], ['context'], 'context discovery'),
    ...findingsForGaps(snapshot),
  ];
}

export const healthy = (): Report => report([target('secretsmanager', 'pass'), target('ecr.dkr', 'pass')]);
export const failing = (): Report => report([target('secretsmanager', 'pass'), target('ecr.dkr', 'fail')]);

/** A runner handing out the queued reports in order (the last one again when the queue runs dry). */
export class FakeRunner {
  readonly calls: RunOptions[] = [];
  private pending: Array<() => void> = [];
  held = false;
  failWith: Error | undefined;

  constructor(public reports: Report[]) {}

  async run(options: RunOptions = {}): Promise<Report> {
    this.calls.push(options);
    if (this.held) await new Promise<void>((resolve) => this.pending.push(resolve));
    if (this.failWith) throw this.failWith;
    return this.reports.length > 1 ? this.reports.shift()! : this.reports[0]!;
  }

  /** Lets every held run finish. */
  release(): void {
    this.held = false;
    for (const resolve of this.pending.splice(0)) resolve();
  }
}

export function manualClock(start = Date.parse('2026-01-01T00:00:01Z')) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}
