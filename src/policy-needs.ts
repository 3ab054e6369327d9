// What a workload calls through each endpoint, per profile: the actions and the resources an
// endpoint policy must let through. One table; a row is changed here and nowhere else.
//
// Sources:
// - ECR image pulls (ecs-fargate, eks-nodes): the Amazon ECR User Guide, "Amazon ECR interface VPC
//   endpoints (AWS PrivateLink)": its endpoint policy example allows ecr:BatchGetImage,
//   ecr:GetDownloadUrlForLayer and ecr:GetAuthorizationToken; the Docker Registry API calls
//   (manifests, layers) go to the ecr.dkr endpoint and are authorized as the first two. The same
//   page's S3 gateway policy example: layers are read with s3:GetObject from
//   arn:aws:s3:::prod-REGION-starport-layer-bucket/* (AWS-FACTS.md).
// - awslogs (ecs-fargate): the AmazonECSTaskExecutionRolePolicy managed policy and the ECS
//   Developer Guide "Using the awslogs log driver": logs:CreateLogStream, logs:PutLogEvents.
// - Injected secrets (ecs-fargate): ECS Developer Guide, "Pass sensitive data to a container":
//   secretsmanager:GetSecretValue and ssm:GetParameters.
// - ssm: the AmazonSSMManagedInstanceCore managed policy and the Systems Manager guide's VPC
//   endpoint page: ssm:UpdateInstanceInformation (the agent registers), ssmmessages channels
//   (Session Manager), ec2messages:GetMessages (Run Command).
// - eks-nodes: image pulls as above; IRSA: sts:AssumeRoleWithWebIdentity (EKS User Guide, "IAM
//   roles for service accounts").
// - lambda: a function's calls are its own code's; none are known without configuration
//   (`services[].actions`).
// - Not listed, so only a policy that allows nothing is caught for them: ecs-fargate's sts (task
//   role credentials come from the ECS agent's credentials endpoint, not from a call the task
//   makes through the endpoint; what the application calls is its own), and eks-nodes' ec2,
//   logs and the add-ons' services, whose exact calls depend on versions and settings.
//
// Resources: REGION is the agent's Region; ACCOUNT the agent's account when known, else `*` (an
// unknown account). ECR repositories keep `*` for the account: images are often pulled from
// another account's registry. `*` alone is an action that takes no resource.
import type { AgentContext, PolicyNeed, Target } from './model.js';

interface NeedRow {
  action: string;
  resource: string;
  /** What the call is for, in a few words, for messages. */
  why: string;
}

const ECR_API: NeedRow[] = [
  { action: 'ecr:GetAuthorizationToken', resource: '*', why: 'ECR login' },
  {
    action: 'ecr:BatchGetImage',
    resource: 'arn:PARTITION:ecr:REGION:*:repository/*',
    why: 'image manifests',
  },
  {
    action: 'ecr:GetDownloadUrlForLayer',
    resource: 'arn:PARTITION:ecr:REGION:*:repository/*',
    why: 'image layers',
  },
];
const ECR_DKR: NeedRow[] = [
  {
    action: 'ecr:BatchGetImage',
    resource: 'arn:PARTITION:ecr:REGION:*:repository/*',
    why: 'image manifests',
  },
  {
    action: 'ecr:GetDownloadUrlForLayer',
    resource: 'arn:PARTITION:ecr:REGION:*:repository/*',
    why: 'image layers',
  },
];
const ECR_LAYERS: NeedRow[] = [
  {
    action: 's3:GetObject',
    resource: 'arn:PARTITION:s3:::prod-REGION-starport-layer-bucket/*',
    why: 'ECR image layers',
  },
];

/** profile → service short name → what the workload calls through that service's endpoint. */
export const POLICY_NEEDS: Readonly<Record<string, Readonly<Record<string, readonly NeedRow[]>>>> = {
  'ecs-fargate': {
    'ecr.api': ECR_API,
    'ecr.dkr': ECR_DKR,
    s3: ECR_LAYERS,
    logs: [
      {
        action: 'logs:CreateLogStream',
        resource: 'arn:PARTITION:logs:REGION:ACCOUNT:log-group:*',
        why: 'awslogs',
      },
      {
        action: 'logs:PutLogEvents',
        resource: 'arn:PARTITION:logs:REGION:ACCOUNT:log-group:*',
        why: 'awslogs',
      },
    ],
    secretsmanager: [
      {
        action: 'secretsmanager:GetSecretValue',
        resource: 'arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:*',
        why: 'injected secrets',
      },
    ],
    ssm: [
      {
        action: 'ssm:GetParameters',
        resource: 'arn:PARTITION:ssm:REGION:ACCOUNT:parameter/*',
        why: 'injected parameters',
      },
    ],
  },
  ssm: {
    ssm: [
      {
        action: 'ssm:UpdateInstanceInformation',
        resource: 'arn:PARTITION:ec2:REGION:ACCOUNT:instance/*',
        why: 'SSM agent registration',
      },
    ],
    ssmmessages: [
      { action: 'ssmmessages:CreateControlChannel', resource: '*', why: 'Session Manager' },
      { action: 'ssmmessages:OpenControlChannel', resource: '*', why: 'Session Manager' },
    ],
    ec2messages: [{ action: 'ec2messages:GetMessages', resource: '*', why: 'Run Command' }],
  },
  'eks-nodes': {
    'ecr.api': ECR_API,
    'ecr.dkr': ECR_DKR,
    s3: ECR_LAYERS,
    sts: [
      {
        action: 'sts:AssumeRoleWithWebIdentity',
        resource: 'arn:PARTITION:iam::ACCOUNT:role/*',
        why: 'IRSA credentials',
      },
    ],
  },
  lambda: {},
};

/** aws, aws-cn or aws-us-gov, by the Region's name. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

function fill(resource: string, context: AgentContext): string {
  return resource
    .replaceAll('PARTITION', partitionOf(context.region))
    .replaceAll('REGION', context.region)
    .replaceAll('ACCOUNT', context.accountId ?? '*');
}

/**
 * What the target's workload calls through its endpoint: its profiles' rows, then what the
 * configuration names, each once. The gateway S3 target is `s3`; its interface sibling
 * (`s3-interface`) carries the same calls when it is the path.
 */
export function policyNeeds(target: Target, context: AgentContext): PolicyNeed[] {
  const short = target.shortName.replace(/-interface$/, '');
  const needs: PolicyNeed[] = [];
  const seen = new Set<string>();
  const add = (need: PolicyNeed) => {
    const key = `${need.action}\n${need.resource}\n${need.principal ?? ''}`;
    if (seen.has(key)) return;
    seen.add(key);
    needs.push(need);
  };
  for (const profile of target.profiles) {
    const rows = Object.hasOwn(POLICY_NEEDS, profile) ? POLICY_NEEDS[profile]! : {};
    for (const row of Object.hasOwn(rows, short) ? rows[short]! : []) {
      add({
        action: row.action,
        resource: fill(row.resource, context),
        source: `profile ${profile}: ${row.why}`,
      });
    }
  }
  for (const wanted of target.actions ?? []) add({ ...wanted, source: 'configuration' });
  return needs;
}
