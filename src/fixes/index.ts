// Fixes as code: for each finding whose fix is a change to AWS resources, the AWS CLI commands,
// a Terraform snippet and a CloudFormation fragment with the real ids, built from the finding's
// code and evidence (and the snapshot, for the resources a fix rewrites). One row per code; a
// failing code without a row has no fix that is a resource change (a DNS server or proxy outside
// AWS, a probe symptom whose cause is another finding: test/unit/fixes.test.ts says why for
// each), and any `unknown` finding whose input was a denied call gets the IAM permission.
import type { Finding, FixSet, Inventory, Report, TargetReport } from '../model.js';
import { endpointPolicyFixes } from './endpoint-policy.js';
import { createEndpointFixes, notAvailableFixes, privateDnsFixes, subnetInAzFixes } from './endpoints.js';
import {
  hubIngressFixes,
  peeringAcceptFixes,
  ruleAssociationFixes,
  tgwReturnRouteFixes,
  zoneAssociationFixes,
} from './hub.js';
import { iamFixes } from './iam.js';
import { aclIpv6Fixes, dualstackEndpointFixes, sgIpv6Fixes } from './ipv6.js';
import { aclFixes } from './nacl.js';
import { deleteRouteFixes, gatewayRouteFixes, pathFixes } from './routes.js';
import type { FixBuilder, FixScope } from './scope.js';
import { agentEgressFixes, endpointIngressFixes } from './security-groups.js';
import { amazonDnsFixes, vpcDnsFixes } from './vpc.js';

export type { FixScope } from './scope.js';

export const FIX_BUILDERS: Record<string, FixBuilder> = {
  AWS_PERMISSION_DENIED: iamFixes,
  ENDPOINT_MISSING: createEndpointFixes,
  ENDPOINT_NOT_AVAILABLE: notAvailableFixes,
  ENDPOINT_PRIVATE_DNS_DISABLED: privateDnsFixes,
  ENDPOINT_NOT_IN_AZ: subnetInAzFixes,
  VPC_DNS_SUPPORT_DISABLED: vpcDnsFixes,
  VPC_DNS_HOSTNAMES_DISABLED: vpcDnsFixes,
  DHCP_CUSTOM_DNS: amazonDnsFixes,
  ENDPOINT_POLICY_DENIES: endpointPolicyFixes,
  ENDPOINT_POLICY_ALLOWS_NOTHING: endpointPolicyFixes,
  ROUTE_GATEWAY_MISSING: gatewayRouteFixes,
  ROUTE_VIA_NAT: pathFixes,
  ROUTE_NO_PATH: pathFixes,
  ROUTE_IGW_NO_PUBLIC_IP: pathFixes,
  ROUTE_VIA_OTHER_TARGET: pathFixes,
  ROUTE_BLACKHOLE: deleteRouteFixes,
  ROUTE_MORE_SPECIFIC_OVERRIDES: deleteRouteFixes,
  SG_AGENT_EGRESS_DENIED: agentEgressFixes,
  SG_ENDPOINT_INGRESS_DENIED: endpointIngressFixes,
  NACL_AGENT_SUBNET_DENIED: aclFixes,
  NACL_ENDPOINT_SUBNET_DENIED: aclFixes,
  NACL_EPHEMERAL_PARTIAL: aclFixes,
  HUB_ZONE_NOT_ASSOCIATED: zoneAssociationFixes,
  HUB_RULE_NOT_ASSOCIATED: ruleAssociationFixes,
  TGW_RETURN_ROUTE_MISSING: tgwReturnRouteFixes,
  PEERING_NOT_ACTIVE: peeringAcceptFixes,
  HUB_SG_EXCLUDES_SPOKE: hubIngressFixes,
  SG_IPV6_RULE_MISSING: sgIpv6Fixes,
  NACL_IPV6_RULE_MISSING: aclIpv6Fixes,
  ENDPOINT_IPV4_ONLY_AAAA_FIRST: dualstackEndpointFixes,
  ENDPOINT_IPV6_ONLY_AGENT_IPV4: dualstackEndpointFixes,
};

/** The fix of one finding as code; undefined for a passing finding or a fix that is not a resource change. */
export function buildFixes(finding: Finding, scope: FixScope): FixSet | undefined {
  if (finding.status === 'pass' || finding.status === 'info') return undefined;
  // A reading whose own evidence rules out the symptom seen is not a cause to apply a change for.
  if (finding.evidence['explainsObserved'] === false) return undefined;
  const builder = FIX_BUILDERS[finding.code];
  if (builder) return builder(finding, scope);
  // Any check left undecided by a call the agent's role may not make: the permission is the fix.
  return finding.status === 'unknown' ? iamFixes(finding) : undefined;
}

function withFixes(finding: Finding, scope: FixScope): Finding {
  const fixes = buildFixes(finding, scope);
  return fixes ? { ...finding, fixes } : finding;
}

/** The codes a CONFIG_CONTRADICTS_PROBE finding says the working probes contradict. */
function contradictedCodes(findings: Finding[]): Set<string> {
  const codes = new Set<string>();
  for (const f of findings.filter((x) => x.code === 'CONFIG_CONTRADICTS_PROBE')) {
    const named = f.evidence['configFindings'];
    if (!Array.isArray(named)) continue;
    for (const n of named) {
      if (typeof n === 'object' && n !== null && typeof (n as { code?: unknown }).code === 'string')
        codes.add((n as { code: string }).code);
    }
  }
  return codes;
}

/**
 * The finding the root cause was copied from. The verdict may reword the copy (an optional
 * service's failure gains "(X is optional here …)"), so the message is matched as a prefix.
 */
function rootFinding(findings: Finding[], root: NonNullable<TargetReport['rootCause']>): Finding | undefined {
  const sameCode = findings.filter((f) => f.code === root.code && (f.fix ?? '') === (root.fix ?? ''));
  return (
    sameCode.find((f) => f.message === root.message) ??
    sameCode.find((f) => root.message.startsWith(`${f.message} (`)) ??
    (sameCode.length === 1 ? sameCode[0] : undefined)
  );
}

function targetWithFixes(target: TargetReport, scope: FixScope): TargetReport {
  const inner: FixScope = {
    ...scope,
    target: {
      service: target.service,
      shortName: target.shortName,
      endpointType: target.endpointType,
      ...(target.endpointId ? { endpointId: target.endpointId } : {}),
    },
  };
  // Probes that pass contradict these readings: a change made on them could break a working path.
  const contradicted = contradictedCodes(target.findings);
  const findings = target.findings.map((f) =>
    contradicted.has(f.code) && f.status !== 'unknown' ? f : withFixes(f, inner),
  );
  const root = target.rootCause;
  // The root cause is one of the target's findings: it carries the same fixes.
  const found = root ? rootFinding(findings, root) : undefined;
  const rootFixes = found?.fixes;
  return {
    ...target,
    findings,
    ...(root ? { rootCause: rootFixes ? { ...root, fixes: rootFixes } : root } : {}),
  };
}

/** The report with `fixes` on every finding (and root cause) whose fix is a resource change. */
export function attachFixes(report: Report, inventory?: Inventory): Report {
  const scope: FixScope = { context: report.context, ...(inventory ? { inventory } : {}) };
  return {
    ...report,
    findings: report.findings.map((f) => withFixes(f, scope)),
    targets: report.targets.map((t) => targetWithFixes(t, scope)),
  };
}
