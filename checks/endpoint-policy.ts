// The endpoint's policy: does it let through what the workload calls? Decided from the
// PolicyDocument DescribeVpcEndpoints returned, with src/eval/policy.ts, for the calls
// src/policy-needs.ts (profiles) and the configuration (services[].actions) name.
import type { VpcEndpoint } from '@aws-sdk/client-ec2';
import {
  allowsNothing,
  evaluatePolicy,
  isFullAccess,
  type PolicyDecision,
  type PolicyRequest,
  parsePolicy,
  type StatementRef,
  statementLabel,
} from '../src/eval/policy.js';
import { isAwsService, targetEndpoint } from '../src/inventory-view.js';
import type { Check, CheckInput, Finding, PolicyNeed } from '../src/model.js';
import { policyNeeds } from '../src/policy-needs.js';
import { gapFinding } from './shared.js';

const ACCOUNT_ID = /^\d{12}$/;

interface Judged {
  need: PolicyNeed;
  decision: PolicyDecision;
}

function requestFor(need: PolicyNeed, endpoint: VpcEndpoint, input: CheckInput): PolicyRequest {
  const principal = need.principal
    ? ACCOUNT_ID.test(need.principal)
      ? { account: need.principal }
      : { arn: need.principal }
    : undefined;
  return {
    action: need.action,
    resource: need.resource,
    ...(principal ? { principal } : {}),
    // What the request context holds for a call through this endpoint, known from here: the
    // endpoint and its VPC, and HTTPS (SDK calls to AWS APIs go over TLS on 443, the path probed).
    context: {
      'aws:SourceVpce': endpoint.VpcEndpointId ?? null,
      'aws:SourceVpc': endpoint.VpcId ?? input.inventory.vpcId,
      'aws:SecureTransport': 'true',
    },
    gateway: endpoint.VpcEndpointType === 'Gateway',
  };
}

function needText(need: PolicyNeed): string {
  return `${need.action} on ${need.resource}${need.principal ? ` by ${need.principal}` : ''} (${need.source})`;
}

function evidenceOf(judged: Judged): Record<string, unknown> {
  const { need, decision } = judged;
  const row: Record<string, unknown> = {
    action: need.action,
    resource: need.resource,
    source: need.source,
    decision: decision.decision,
  };
  if (need.principal) row['principal'] = need.principal;
  if (decision.decision === 'explicit-deny') row['statement'] = statementLabel(decision.statement);
  if (decision.decision === 'allow') row['statements'] = decision.statements.map(statementLabel);
  if (decision.decision === 'undecidable') {
    row['statement'] = statementLabel(decision.statement);
    row['element'] = decision.element;
    if (decision.key) row['key'] = decision.key;
    row['detail'] = decision.detail;
  }
  if (decision.decision === 'malformed') row['reason'] = decision.reason;
  return row;
}

/**
 * Statements that let the denied calls through: one per resource, its actions together, so the
 * fix grants no action on a resource it was not needed on. Principal "*" (gateway endpoints
 * accept no other); a known caller narrows it by condition.
 */
function allowStatements(needs: PolicyNeed[]): Array<Record<string, unknown>> {
  const groups = new Map<string, { resource: string; principal?: string; actions: string[] }>();
  for (const need of needs) {
    const key = `${need.resource}\n${need.principal ?? ''}`;
    const group = groups.get(key) ?? {
      resource: need.resource,
      actions: [],
      ...(need.principal ? { principal: need.principal } : {}),
    };
    if (!group.actions.includes(need.action)) group.actions.push(need.action);
    groups.set(key, group);
  }
  return [...groups.values()].map((group, i) => ({
    Sid: `VpceDoctorAllow${i + 1}`,
    Effect: 'Allow',
    Principal: '*',
    Action: group.actions.length === 1 ? group.actions[0] : group.actions,
    Resource: group.resource,
    ...(group.principal
      ? {
          Condition: {
            StringEquals: ACCOUNT_ID.test(group.principal)
              ? { 'aws:PrincipalAccount': group.principal }
              : { 'aws:PrincipalArn': group.principal },
          },
        }
      : {}),
  }));
}

function modifyCommand(endpointId: string): string {
  return `aws ec2 modify-vpc-endpoint --vpc-endpoint-id ${endpointId} --policy-document file://policy.json`;
}

function deniesFinding(
  endpoint: VpcEndpoint,
  denied: Judged[],
  all: Judged[],
  base: Record<string, unknown>,
): Finding {
  const id = endpoint.VpcEndpointId ?? '?';
  const explicit = denied.filter((j) => j.decision.decision === 'explicit-deny');
  const implicit = denied.filter((j) => j.decision.decision === 'implicit-deny');
  const reasons = denied.map((j) =>
    j.decision.decision === 'explicit-deny'
      ? `${needText(j.need)}: denied by ${statementLabel(j.decision.statement)}`
      : `${needText(j.need)}: no statement allows it`,
  );
  const statements = allowStatements(implicit.map((j) => j.need));
  const fixes: string[] = [];
  if (implicit.length > 0) {
    fixes.push(
      `add to the policy of ${id} (keep its other statements): ${JSON.stringify(statements.length === 1 ? statements[0] : statements)}; then ${modifyCommand(id)} (policy.json: the whole policy with the statement added)`,
    );
  }
  if (explicit.length > 0) {
    const labels = [
      ...new Set(explicit.map((j) => statementLabel((j.decision as { statement: StatementRef }).statement))),
    ];
    fixes.push(
      `an Allow cannot override an explicit Deny: narrow ${labels.join(', ')} so it no longer covers ${explicit
        .map((j) => `${j.need.action} on ${j.need.resource}`)
        .join(', ')} (a NotResource, or a condition), then ${modifyCommand(id)}`,
    );
  }
  return {
    check: 'policy',
    code: 'ENDPOINT_POLICY_DENIES',
    status: 'fail',
    message: `the policy of ${id} (${endpoint.ServiceName}) refuses what the workload calls through it: ${reasons.join('; ')}`,
    fix: fixes.join('; '),
    evidence: {
      ...base,
      denied: denied.map(evidenceOf),
      needsEvaluated: all.map(evidenceOf),
      ...(implicit.length > 0 ? { statementsToAdd: statements } : {}),
    },
  };
}

/** The policy of the target's endpoint against the calls its workload makes through it. */
export const checkEndpointPolicy: Check = (input) => {
  const { inventory, target, context } = input;
  if (target.endpointType === 'none' || !target.endpointId) return [];
  if (!inventory.endpoints.ok) {
    return [
      gapFinding(
        'policy',
        'ENDPOINT_POLICY_UNREADABLE',
        inventory.endpoints.gap,
        `read the policy of ${target.endpointId}`,
      ),
    ];
  }
  const endpoint = targetEndpoint(inventory, target);
  // A missing endpoint is the endpoint check's finding; an endpoint service of your own allows
  // full access (AWS attaches no policy to it).
  if (!endpoint || !isAwsService(endpoint.ServiceName ?? '')) return [];
  const id = endpoint.VpcEndpointId ?? target.endpointId;
  const needs = policyNeeds(target, context);
  const base: Record<string, unknown> = {
    endpointId: id,
    endpointType: endpoint.VpcEndpointType,
    serviceName: endpoint.ServiceName,
  };
  const document = endpoint.PolicyDocument;
  if (document === undefined || document === '') {
    // Services without endpoint policy support return none; AWS allows full access then.
    return [
      {
        check: 'policy',
        code: 'ENDPOINT_POLICY_OK',
        status: 'pass',
        message: `${id} (${endpoint.ServiceName}) has no endpoint policy: full access`,
        evidence: { ...base, policyDocument: null, needsEvaluated: [] },
      },
    ];
  }
  const parsed = parsePolicy(document);
  if (!parsed.ok) {
    return [
      {
        check: 'policy',
        code: 'ENDPOINT_POLICY_UNREADABLE',
        status: 'unknown',
        message: `cannot judge the policy of ${id} (${endpoint.ServiceName}): ${parsed.reason}`,
        fix: `read it with aws ec2 describe-vpc-endpoints --vpc-endpoint-ids ${id} --query 'VpcEndpoints[0].PolicyDocument' and check it by hand; a policy AWS accepted should parse, so report the case`,
        evidence: {
          ...base,
          reason: parsed.reason,
          policyChars: typeof document === 'string' ? document.length : null,
        },
      },
    ];
  }
  const policy = parsed.policy;
  const nothing = allowsNothing(policy);
  if (nothing.nothing) {
    const by = nothing.statement
      ? `${statementLabel(nothing.statement)} denies every action`
      : 'no statement allows anything';
    const statements = allowStatements(needs);
    return [
      {
        check: 'policy',
        code: 'ENDPOINT_POLICY_ALLOWS_NOTHING',
        status: 'fail',
        message: `the policy of ${id} (${endpoint.ServiceName}) lets no call through: ${by}`,
        fix:
          needs.length > 0
            ? `replace it with a policy that allows what the workload calls, e.g. ${JSON.stringify({ Version: '2012-10-17', Statement: statements })}, then ${modifyCommand(id)}; or restore full access: aws ec2 modify-vpc-endpoint --vpc-endpoint-id ${id} --reset-policy`
            : `restore full access: aws ec2 modify-vpc-endpoint --vpc-endpoint-id ${id} --reset-policy; or write one that allows the workload's calls and apply it with ${modifyCommand(id)}`,
        evidence: {
          ...base,
          ...(nothing.statement ? { statement: statementLabel(nothing.statement) } : {}),
          ...(needs.length > 0 ? { statementsToAdd: statements } : {}),
          needsEvaluated: needs.map((need) => ({
            action: need.action,
            resource: need.resource,
            source: need.source,
          })),
        },
      },
    ];
  }

  const judged: Judged[] = needs.map((need) => ({
    need,
    decision: evaluatePolicy(policy, requestFor(need, endpoint, input)),
  }));
  const findings: Finding[] = [];
  const denied = judged.filter(
    (j) => j.decision.decision === 'explicit-deny' || j.decision.decision === 'implicit-deny',
  );
  if (denied.length > 0) findings.push(deniesFinding(endpoint, denied, judged, base));
  const undecided = judged.filter((j) => j.decision.decision === 'undecidable');
  if (undecided.length > 0) {
    const keys = [
      ...new Set(
        undecided.map((j) => {
          const d = j.decision as Extract<PolicyDecision, { decision: 'undecidable' }>;
          return d.key ?? d.element;
        }),
      ),
    ];
    findings.push({
      check: 'policy',
      code: 'ENDPOINT_POLICY_UNDECIDABLE',
      status: 'unknown',
      message: `cannot tell whether the policy of ${id} (${endpoint.ServiceName}) lets ${undecided
        .map((j) => j.need.action)
        .join(
          ', ',
        )} through: it depends on ${keys.join(', ')}, which vpce-doctor cannot know from inside the subnet`,
      fix: `check the statements named in the evidence against the workload's calls by hand (aws ec2 describe-vpc-endpoints --vpc-endpoint-ids ${id}); where it depends on the caller, name it in the configuration: services: [{ name: ${target.shortName}, actions: [{ action, resource, principal }] }]`,
      evidence: { ...base, undecided: undecided.map(evidenceOf), needsEvaluated: judged.map(evidenceOf) },
    });
  }
  const malformed = judged.filter((j) => j.decision.decision === 'malformed');
  if (malformed.length > 0) {
    const reason = (malformed[0]!.decision as { reason: string }).reason;
    findings.push({
      check: 'policy',
      code: 'ENDPOINT_POLICY_UNREADABLE',
      status: 'unknown',
      message: `cannot judge the policy of ${id} (${endpoint.ServiceName}): ${reason}`,
      fix: `read it with aws ec2 describe-vpc-endpoints --vpc-endpoint-ids ${id} and check it by hand`,
      evidence: { ...base, reason, needsEvaluated: judged.map(evidenceOf) },
    });
  }
  if (findings.length > 0) return findings;

  const fullAccess = isFullAccess(policy);
  const what =
    needs.length === 0
      ? 'no calls are known for this target (no profile names any; add them with services[].actions), so only checked that it lets something through'
      : `it allows ${needs.map((n) => n.action).join(', ')}`;
  return [
    {
      check: 'policy',
      code: 'ENDPOINT_POLICY_OK',
      // The default policy is no news; a policy someone wrote that still admits the workload is.
      status: fullAccess ? 'pass' : 'info',
      message: fullAccess
        ? `${id} (${endpoint.ServiceName}) has the default full-access policy`
        : `the policy of ${id} (${endpoint.ServiceName}) is not the default: ${what}`,
      evidence: { ...base, fullAccess, needsEvaluated: judged.map(evidenceOf) },
    },
  ];
};
