// The join of the two planes for one target: what the probes saw decides *whether* it works;
// the configuration findings decide *why not*. Pure.
import type { Finding, Status, Target, TargetObservations, TargetReport } from './model.js';

/** Configuration causes, most fundamental first: the first present is the root cause. */
const CONFIG_CAUSES = [
  'ENDPOINT_MISSING',
  'ENDPOINT_NOT_AVAILABLE',
  'VPC_DNS_SUPPORT_DISABLED',
  'VPC_DNS_HOSTNAMES_DISABLED',
  'ENDPOINT_PRIVATE_DNS_DISABLED',
  'DHCP_CUSTOM_DNS',
  // Centralised endpoints (issue 15): the name never reaches the hub, then the path to it.
  'HUB_ZONE_NOT_ASSOCIATED',
  'HUB_RULE_NOT_ASSOCIATED',
  'HUB_RULE_TARGETS_DOWN',
  'PEERING_NOT_ACTIVE',
  'TGW_ROUTE_MISSING',
  'TGW_RETURN_ROUTE_MISSING',
  'ROUTE_GATEWAY_MISSING',
  'ROUTE_BLACKHOLE',
  'ROUTE_MORE_SPECIFIC_OVERRIDES',
  'ROUTE_NO_PATH',
  'ROUTE_IP_NOT_IN_PREFIX_LIST',
  'ROUTE_IGW_NO_PUBLIC_IP',
  'SG_AGENT_EGRESS_DENIED',
  'SG_ENDPOINT_INGRESS_DENIED',
  'HUB_SG_EXCLUDES_SPOKE',
  'NACL_AGENT_SUBNET_DENIED',
  'NACL_ENDPOINT_SUBNET_DENIED',
  'NACL_EPHEMERAL_PARTIAL',
  'ROUTE_VIA_OTHER_TARGET',
  // IPv6 (checks/ipv6.ts): the endpoint's family first, then the IPv6 path like the IPv4 one.
  'ENDPOINT_IPV6_ONLY_AGENT_IPV4',
  'ENDPOINT_IPV4_ONLY_AAAA_FIRST',
  'ROUTE_IPV6_NO_PATH',
  'ROUTE_IPV6_VIA_EGRESS_ONLY_IGW',
  'SG_IPV6_RULE_MISSING',
  'NACL_IPV6_RULE_MISSING',
  'ROUTE_IPV6_VIA_OTHER_TARGET',
];

/** Data-plane failures that are their own root cause when no configuration explains them. */
const PROBE_CAUSES = [
  'DNS_TIMEOUT',
  'DNS_SERVFAIL',
  'DNS_NXDOMAIN',
  'DNS_MALFORMED_RESPONSE',
  'DNS_RESOLVES_UNEXPECTED_PRIVATE',
  'DNS_RESOLVES_PUBLIC',
  'DNS_REFUSED',
  'DNS_NODATA',
  'DNS_ERROR',
  'TCP_REFUSED',
  'TCP_ERROR',
  'TLS_NAME_MISMATCH',
  'TLS_UNTRUSTED',
  'TLS_HANDSHAKE_FAILED',
  'TLS_TIMEOUT',
  // The L7 canary: TLS passed, but what answers behind the ENI is not AWS (or nothing answers).
  'L7_NOT_AWS',
  'L7_NO_RESPONSE',
  // The signed STS call refused by the STS endpoint's policy, as AWS's own message says.
  'STS_SIGNED_CALL_DENIED',
];

/** Probe failures that a security group, ACL or route would explain if one denied the path. */
const SILENT_PROBE_FAILURES = new Set(['TCP_TIMEOUT', 'TCP_UNREACHABLE']);
const PATH_CHECKS = new Set<Finding['check']>(['route', 'sg', 'nacl']);
const CONFIG_CHECKS = new Set<Finding['check']>(['endpoint', 'route', 'sg', 'nacl', 'profile']);

// The symptoms a cause can explain, by what the cause does to packets and answers.
const NO_PRIVATE_ANSWER = ['DNS_RESOLVES_PUBLIC', 'DNS_NXDOMAIN', 'DNS_NODATA'];
const DNS_ANY = [...NO_PRIVATE_ANSWER, 'DNS_SERVFAIL', 'DNS_TIMEOUT', 'DNS_REFUSED', 'DNS_ERROR'];
/** A route that sends packets nowhere (or to a hop that drops them): nothing answers, or an ICMP error does. */
const NO_ROUTE = ['TCP_TIMEOUT', 'TCP_UNREACHABLE'];
/** Security groups and network ACLs drop silently: they never refuse (RST) and never send ICMP. */
const DROPPED = ['TCP_TIMEOUT'];

/**
 * Which observed probe symptom each configuration cause can explain: a cause becomes the root
 * cause of a failed target only when one of its symptoms was observed. Anything a cause cannot
 * explain (a refused connection, a TLS failure, a dead custom resolver's timeout blamed on the
 * endpoint's private DNS) stays the probe's own root cause. docs/findings.md ("Causes and the
 * symptoms they explain") documents this table; test/unit/verdict.test.ts tests it row by row.
 */
export const CAUSE_EXPLAINS: Readonly<Record<string, readonly string[]>> = {
  ENDPOINT_MISSING: NO_ROUTE,
  ENDPOINT_NOT_FOUND: [...DNS_ANY, 'TCP_TIMEOUT', 'TCP_UNREACHABLE', 'TCP_REFUSED'],
  // A pending or failed endpoint has no live private zone and no ENI that answers.
  ENDPOINT_NOT_AVAILABLE: [...NO_PRIVATE_ANSWER, 'TCP_TIMEOUT', 'TCP_UNREACHABLE', 'TCP_REFUSED'],
  // With DNS support off, AmazonProvidedDNS does not answer the VPC at all.
  VPC_DNS_SUPPORT_DISABLED: ['DNS_RESOLVES_PUBLIC', 'DNS_TIMEOUT', 'DNS_REFUSED'],
  VPC_DNS_HOSTNAMES_DISABLED: ['DNS_RESOLVES_PUBLIC'],
  ENDPOINT_PRIVATE_DNS_DISABLED: ['DNS_RESOLVES_PUBLIC'],
  // A custom resolver that does not forward to AmazonProvidedDNS can fail in any way.
  DHCP_CUSTOM_DNS: DNS_ANY,
  ROUTE_GATEWAY_MISSING: NO_ROUTE,
  ROUTE_BLACKHOLE: NO_ROUTE,
  ROUTE_MORE_SPECIFIC_OVERRIDES: NO_ROUTE,
  ROUTE_NO_PATH: NO_ROUTE,
  ROUTE_IP_NOT_IN_PREFIX_LIST: NO_ROUTE,
  ROUTE_IGW_NO_PUBLIC_IP: NO_ROUTE,
  ROUTE_VIA_OTHER_TARGET: NO_ROUTE,
  SG_AGENT_EGRESS_DENIED: DROPPED,
  SG_ENDPOINT_INGRESS_DENIED: DROPPED,
  NACL_AGENT_SUBNET_DENIED: DROPPED,
  NACL_ENDPOINT_SUBNET_DENIED: DROPPED,
  NACL_EPHEMERAL_PARTIAL: DROPPED,
  // Centralised endpoints (issue 15). A zone or rule not associated leaves the name public or
  // unknown: the resolver says so, or the public address it gives has no path from the spoke.
  HUB_ZONE_NOT_ASSOCIATED: [...NO_PRIVATE_ANSWER, ...NO_ROUTE],
  HUB_RULE_NOT_ASSOCIATED: [...NO_PRIVATE_ANSWER, ...NO_ROUTE],
  // The VPC resolver forwards to targets that do not answer: it times out or fails.
  HUB_RULE_TARGETS_DOWN: ['DNS_TIMEOUT', 'DNS_SERVFAIL'],
  TGW_ROUTE_MISSING: NO_ROUTE,
  // Requests arrive, replies are dropped: the connection times out, nothing sends an error.
  TGW_RETURN_ROUTE_MISSING: DROPPED,
  PEERING_NOT_ACTIVE: NO_ROUTE,
  HUB_SG_EXCLUDES_SPOKE: DROPPED,
  // A hub endpoint that is not available (the hub's copy of ENDPOINT_NOT_AVAILABLE) is above.
  // An IPv6-only endpoint has no A record and no IPv4 address: an IPv4-only client finds nothing.
  ENDPOINT_IPV6_ONLY_AGENT_IPV4: ['DNS_NODATA', 'TCP_TIMEOUT', 'TCP_UNREACHABLE'],
  // IPv6 goes around an IPv4-only endpoint, to addresses nothing in the VPC answers for.
  ENDPOINT_IPV4_ONLY_AAAA_FIRST: NO_ROUTE,
  ROUTE_IPV6_NO_PATH: NO_ROUTE,
  ROUTE_IPV6_VIA_EGRESS_ONLY_IGW: NO_ROUTE,
  ROUTE_IPV6_VIA_OTHER_TARGET: NO_ROUTE,
  SG_IPV6_RULE_MISSING: DROPPED,
  NACL_IPV6_RULE_MISSING: DROPPED,
};

/** DNS findings that are configuration causes (a zone or rule read from Route 53), not probe symptoms. */
const DNS_CONFIG_CAUSES = new Set([
  'DHCP_CUSTOM_DNS',
  'HUB_ZONE_NOT_ASSOCIATED',
  'HUB_RULE_NOT_ASSOCIATED',
  'HUB_RULE_TARGETS_DOWN',
]);

/**
 * Causes decided from a document that was read, with no packet symptom: an endpoint policy that
 * refuses the workload's calls (checks/endpoint-policy.ts). DNS, TCP and TLS pass while the API
 * call is refused with AccessDenied ("… explicit deny in a VPC endpoint policy"), so no probe
 * symptom is theirs to explain (they are not in CAUSE_EXPLAINS) and a passing probe does not
 * contradict them. They are still named only from data that was read: the PolicyDocument, whose
 * evaluation is deterministic (an undecidable or unreadable policy is `unknown`, never here).
 * When a probe failed, the path cause stays the root cause: the call never reaches the policy.
 * Most fundamental first.
 */
const DOCUMENT_CAUSES = ['ENDPOINT_POLICY_ALLOWS_NOTHING', 'ENDPOINT_POLICY_DENIES'];

/** Whether a configuration cause can explain an observed probe symptom (CAUSE_EXPLAINS). */
export function explains(cause: string, symptom: string): boolean {
  return CAUSE_EXPLAINS[cause]?.includes(symptom) ?? false;
}

function isConfigFinding(finding: Finding): boolean {
  return CONFIG_CHECKS.has(finding.check) || DNS_CONFIG_CAUSES.has(finding.code);
}

function isProbeFinding(finding: Finding): boolean {
  return (
    (finding.check === 'dns' ||
      finding.check === 'tcp' ||
      finding.check === 'tls' ||
      finding.check === 'http') &&
    !isConfigFinding(finding)
  );
}

function rank(order: string[], code: string): number {
  const index = order.indexOf(code);
  return index === -1 ? order.length : index;
}

function pick(findings: Finding[], order: string[]): Finding {
  return [...findings].sort((a, b) => rank(order, a.code) - rank(order, b.code))[0]!;
}

function rootOf(finding: Finding): NonNullable<TargetReport['rootCause']> {
  return { code: finding.code, message: finding.message, ...(finding.fix ? { fix: finding.fix } : {}) };
}

export function decideTarget(
  target: Target,
  observations: TargetObservations,
  findings: Finding[],
): TargetReport {
  const all = [...findings];
  const probeFailures = all.filter((f) => isProbeFinding(f) && f.status === 'fail');
  const configFailures = all.filter((f) => isConfigFinding(f) && f.status === 'fail');
  // A warning (an ACL that covers part of the return ports, a route through an appliance) can
  // be the cause of an observed failure too; a failing cause is preferred.
  const configCauses = all.filter((f) => isConfigFinding(f) && (f.status === 'fail' || f.status === 'warn'));
  const base: TargetReport = {
    service: target.service,
    shortName: target.shortName,
    hostname: target.hostname,
    ...(target.endpointId ? { endpointId: target.endpointId } : {}),
    endpointType: target.endpointType,
    status: 'pass',
    required: target.required,
    findings: all,
  };

  if (probeFailures.length > 0) {
    let root: Finding;
    // A cause whose own evidence rules out what was observed (an ACL that admitted the very
    // port the probe used) does not explain it.
    const explaining = configCauses.filter(
      (cause) =>
        cause.evidence['explainsObserved'] !== false &&
        probeFailures.some((probe) => explains(cause.code, probe.code)),
    );
    if (explaining.length > 0) {
      const failing = explaining.filter((f) => f.status === 'fail');
      root = pick(failing.length > 0 ? failing : explaining, CONFIG_CAUSES);
    } else {
      const silent = probeFailures.filter((f) => SILENT_PROBE_FAILURES.has(f.code));
      const explained = probeFailures.filter((f) => !SILENT_PROBE_FAILURES.has(f.code));
      if (explained.length > 0) {
        root = pick(explained, PROBE_CAUSES);
      } else {
        // The contradiction is claimed only when every path reading was made and allows the path:
        // an unread one, or a denial that cannot explain this symptom, leaves the symptom its own cause.
        const undecided = all.some(
          (f) => PATH_CHECKS.has(f.check) && (f.status === 'unknown' || f.status === 'fail'),
        );
        // A silent drop on the way to a hub whose side could not be read (issue 15): its
        // endpoint's groups, its ACLs or the transit gateway's tables may be the cause, and the
        // spoke's own configuration cannot say. Undecided, naming what was not read.
        const hubUnread = all.find((f) => f.code === 'HUB_UNREADABLE' && f.status === 'unknown');
        if (hubUnread) return optional(target, { ...base, status: 'unknown', rootCause: rootOf(hubUnread) });
        root = undecided ? silent[0]! : contradiction(target, silent[0]!, all);
        if (root.code === 'PROBE_CONTRADICTS_CONFIG') all.push(root);
      }
    }
    return optional(target, { ...base, status: 'fail', rootCause: rootOf(root) });
  }

  // The probes passed (or did not run): a refusal read from the endpoint's policy is the root cause.
  const documentFailures = all.filter((f) => DOCUMENT_CAUSES.includes(f.code) && f.status === 'fail');
  if (documentFailures.length > 0) {
    if (configFailures.length > 0 && !configFailures.some((f) => f.code === 'ENDPOINT_MISSING')) {
      all.push(configContradiction(target, configFailures));
    }
    return { ...base, status: 'fail', rootCause: rootOf(pick(documentFailures, DOCUMENT_CAUSES)) };
  }

  if (configFailures.length > 0) {
    const missing = configFailures.find((f) => f.code === 'ENDPOINT_MISSING');
    if (missing) {
      // The probes passed without an endpoint: the traffic takes another path (NAT), which works but costs.
      return { ...base, status: 'warn', rootCause: rootOf(missing) };
    }
    const finding = configContradiction(target, configFailures);
    all.push(finding);
    return { ...base, status: 'warn', rootCause: rootOf(finding) };
  }

  if (observations.dns.length === 0 && observations.tcp.length === 0) {
    return { ...base, status: 'unknown' };
  }

  const warnings = all.filter((f) => f.status === 'warn');
  if (warnings.length > 0) {
    return {
      ...base,
      status: 'warn',
      rootCause: rootOf(pick(warnings, [...CONFIG_CAUSES, 'ENDPOINT_NOT_IN_AZ', 'ROUTE_VIA_NAT'])),
    };
  }
  return base;
}

/**
 * A service the VPC has no endpoint for that no configuration marks required (a profile's
 * optional service, or one discovered only) may simply be unused by the workload: its failure
 * is a warning, so it neither fails the report nor turns /health 503.
 */
function optional(target: Target, report: TargetReport): TargetReport {
  if (target.required || target.endpointType !== 'none' || report.status !== 'fail') return report;
  const root = report.rootCause;
  return {
    ...report,
    status: 'warn',
    ...(root
      ? {
          rootCause: {
            ...root,
            message: `${root.message} (${target.shortName} is optional here: mark it required in the configuration to fail on it)`,
          },
        }
      : {}),
  };
}

function contradiction(target: Target, probe: Finding, findings: Finding[]): Finding {
  const allowedBy = findings
    .filter((f) => PATH_CHECKS.has(f.check) && f.status === 'pass')
    .map((f) => f.code);
  return {
    check: 'verdict',
    code: 'PROBE_CONTRADICTS_CONFIG',
    status: 'fail',
    message: `${target.shortName}: ${probe.message} — yet routes, security groups and network ACLs allow the path (${allowedBy.join(', ') || 'no denial found'})`,
    fix: 'Look beyond VPC configuration: a host firewall (iptables/nftables) on the agent or the workload, a network appliance or inspection endpoint, or the service side. Check VPC flow logs for REJECT records on the endpoint ENIs.',
    evidence: { probe: { code: probe.code, evidence: probe.evidence }, allowedBy },
  };
}

function configContradiction(target: Target, failures: Finding[]): Finding {
  return {
    check: 'verdict',
    code: 'CONFIG_CONTRADICTS_PROBE',
    status: 'warn',
    message: `${target.shortName}: the probes succeeded, but the configuration as read says ${failures
      .map((f) => f.code)
      .join(', ')}: our reading of the configuration is incomplete`,
    fix: 'Compare the evidence with the console (effective rules, associations); report the case so vpce-doctor can learn it.',
    evidence: { configFindings: failures.map((f) => ({ code: f.code, message: f.message })) },
  };
}

export function overallStatus(statuses: Status[]): 'pass' | 'warn' | 'fail' | 'unknown' {
  if (statuses.includes('fail')) return 'fail';
  if (statuses.includes('unknown')) return 'unknown';
  if (statuses.includes('warn')) return 'warn';
  return 'pass';
}
