// The agent's own IAM permissions: the actions a call was denied, allowed on "*" (Describe calls
// take no resource ARN). The agent does not know its role's name: the snippets take it as input.
import { classifyAccessDenied, roleAllowLifts } from '../eval/access-denied.js';
import type { Finding, FixSet } from '../model.js';
import { fixSet, texts } from './scope.js';
import { awsCommand, ShellVariable, writeCli } from './write-cli.js';
import { type HclObject, hclName, jsonencode, reference, writeHcl, writeResource } from './write-hcl.js';
import { logicalId, ref, writeCfn } from './write-yaml.js';

/** The parameter (CloudFormation) and variable (Terraform) naming the agent's role. */
export const ROLE_PARAMETER = 'AgentRoleName';
const ROLE_VARIABLE = 'agent_role_name';

/** The denied IAM actions a finding names: a gap finding's `actions`, or a check's `gap.action`. */
function deniedActions(finding: Finding): string[] {
  const e = finding.evidence;
  if (e['kind'] === 'permission')
    return texts(e['actions']).length > 0 ? texts(e['actions']) : texts([e['action']]);
  const gap = e['gap'] as { kind?: unknown; action?: unknown } | undefined;
  return gap?.kind === 'permission' && typeof gap.action === 'string' ? [gap.action] : [];
}

/** The sentence AWS returned with the denial: a gap finding's `detail`, or a check's `gap.message`. */
function denialText(finding: Finding): string {
  const e = finding.evidence;
  if (typeof e['detail'] === 'string') return e['detail'];
  const gap = e['gap'] as { message?: unknown } | undefined;
  return typeof gap?.message === 'string' ? gap.message : '';
}

/**
 * AWS_PERMISSION_DENIED, and an `unknown` finding whose input was a denied call. None when AWS
 * named an explicit deny or another layer (SCP, RCP, endpoint policy, permissions boundary): an
 * Allow in the role's policy cannot lift those, and the finding's fix says which layer to change.
 */
export function iamFixes(finding: Finding): FixSet | undefined {
  if (!roleAllowLifts(classifyAccessDenied(denialText(finding)))) return undefined;
  const actions = [...new Set(deniedActions(finding))].filter((a) => /^[a-z0-9-]+:[A-Za-z0-9*]+$/.test(a));
  if (actions.length === 0) return undefined;
  // Issue 15: a hub role's denial is fixed in the hub role's policy, and sts:AssumeRole is never
  // to be allowed on "*": their fix lines name the documents (deploy/hub-*.json).
  const gap = finding.evidence['gap'] as { via?: unknown } | undefined;
  if (finding.evidence['via'] === 'hub-role' || gap?.via === 'hub-role' || actions.includes('sts:AssumeRole'))
    return undefined;
  const policy = {
    Version: '2012-10-17',
    Statement: [{ Sid: 'VpceDoctorReads', Effect: 'Allow', Action: actions, Resource: '*' }],
  };
  const name = `vpce-doctor-${actions[0]!.replace(':', '-')}${actions.length > 1 ? `-and-${actions.length - 1}-more` : ''}`;
  const role = `the IAM role vpce-doctor runs as (its task, function or instance role)`;
  return fixSet({
    cli: writeCli([
      `# set role to the name of ${role}`,
      awsCommand('iam', 'put-role-policy', [
        '--role-name',
        new ShellVariable('role'),
        '--policy-name',
        name,
        '--policy-document',
        JSON.stringify(policy),
      ]),
    ]),
    terraform: writeHcl([
      writeResource(
        'aws_iam_role_policy',
        hclName(name),
        {
          name,
          role: reference(`var.${ROLE_VARIABLE}`),
          policy: jsonencode(policy as HclObject),
        },
        // Declared once by whoever pastes several of these: a variable block in each would clash.
        [`var.${ROLE_VARIABLE}: ${role}; declare it once: variable "${ROLE_VARIABLE}" { type = string }`],
      ),
    ]),
    cloudformation: writeCfn({
      [logicalId(name)]: {
        type: 'AWS::IAM::RolePolicy',
        comments: [`Parameters: ${ROLE_PARAMETER} (String), ${role}`],
        properties: { RoleName: ref(ROLE_PARAMETER), PolicyName: name, PolicyDocument: policy },
      },
    }),
  });
}
