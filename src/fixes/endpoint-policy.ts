// The endpoint policy: the statements the workload's denied calls need, added to the policy as
// read (a policy is replaced whole), or a policy that allows them where the old one allows nothing.
import type { Finding, FixSet } from '../model.js';
import { policyOf, rewrittenEndpoint } from './endpoints.js';
import { endpointOf, type FixScope, fixSet, records, text } from './scope.js';
import { awsCommand } from './write-cli.js';
import { type HclObject, hclName, jsonencode, writeHcl, writeResource } from './write-hcl.js';

const FULL_ACCESS = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }],
};

/** The policy after the fix, or undefined when the fix is a judgement (narrowing an explicit Deny). */
function newPolicy(finding: Finding, scope: FixScope, id: string): Record<string, unknown> | undefined {
  const add = records(finding.evidence['statementsToAdd']);
  if (finding.code === 'ENDPOINT_POLICY_ALLOWS_NOTHING')
    return add.length > 0 ? { Version: '2012-10-17', Statement: add } : FULL_ACCESS;
  // An Allow cannot override an explicit Deny: which statement to narrow, and how, is the owner's call.
  const explicit = records(finding.evidence['denied']).some((d) => d['decision'] === 'explicit-deny');
  const endpoint = endpointOf(scope, id);
  const policy = endpoint ? policyOf(endpoint) : undefined;
  if (explicit || add.length === 0 || !policy) return undefined;
  const statements = policy['Statement'];
  const kept = Array.isArray(statements) ? statements : statements ? [statements] : [];
  return { ...policy, Statement: [...kept, ...add] };
}

/** ENDPOINT_POLICY_DENIES (implicit denials only), ENDPOINT_POLICY_ALLOWS_NOTHING. */
export function endpointPolicyFixes(finding: Finding, scope: FixScope): FixSet | undefined {
  const id = text(finding.evidence, 'endpointId');
  if (!id) return undefined;
  const policy = newPolicy(finding, scope, id);
  if (!policy) return undefined;
  const endpoint = endpointOf(scope, id);
  return fixSet({
    cli:
      policy === FULL_ACCESS
        ? awsCommand('ec2', 'modify-vpc-endpoint', ['--vpc-endpoint-id', id, '--reset-policy'])
        : awsCommand('ec2', 'modify-vpc-endpoint', [
            '--vpc-endpoint-id',
            id,
            '--policy-document',
            JSON.stringify(policy),
          ]),
    terraform: writeHcl([
      writeResource(
        'aws_vpc_endpoint_policy',
        hclName(id),
        { vpc_endpoint_id: id, policy: jsonencode(policy as HclObject) },
        // Two resources managing one policy undo each other on every apply.
        [`if the aws_vpc_endpoint for ${id} sets policy inline, change it there instead: the two conflict`],
      ),
    ]),
    ...(endpoint
      ? {
          cloudformation: rewrittenEndpoint(endpoint, scope, (s) => ({ ...s, policy }), 'with the new policy')
            .cloudformation,
        }
      : {}),
  });
}
