// Workload profiles: the AWS services a kind of workload needs to reach, and why.
// Sources: AWS-FACTS.md (ECS/Fargate, SSM, Lambda) and the EKS User Guide, "Deploy private
// clusters with limited internet access" (the VPC endpoint table for nodes and pods).

export interface ProfileService {
  /** The part after `com.amazonaws.REGION.`: ecr.dkr, s3, logs */
  shortName: string;
  endpointType: 'Interface' | 'Gateway';
  required: boolean;
  /** What breaks without it, one line for messages. */
  why: string;
}

export interface Profile {
  name: string;
  description: string;
  services: ProfileService[];
}

export interface ProfileTarget extends ProfileService {
  profile: string;
  /** com.amazonaws.REGION.SHORTNAME */
  service: string;
  hostname: string;
}

const interfaceService = (shortName: string, required: boolean, why: string): ProfileService => ({
  shortName,
  endpointType: 'Interface',
  required,
  why,
});
const gatewayService = (shortName: string, required: boolean, why: string): ProfileService => ({
  shortName,
  endpointType: 'Gateway',
  required,
  why,
});

export const PROFILES: Readonly<Record<string, Profile>> = {
  'ecs-fargate': {
    name: 'ecs-fargate',
    description: 'ECS tasks on Fargate (or EC2) pulling images from ECR without a NAT path',
    services: [
      interfaceService('ecr.api', true, 'image pulls fail: ECR authentication and manifests'),
      interfaceService('ecr.dkr', true, 'image pulls fail: the Docker registry API'),
      gatewayService('s3', true, 'image pulls fail: ECR image layers are stored in S3'),
      interfaceService('logs', true, 'the awslogs log driver cannot ship container logs'),
      interfaceService('sts', true, 'task role credentials cannot be assumed through STS'),
      interfaceService('secretsmanager', false, 'secrets injected from Secrets Manager fail at task start'),
      interfaceService('ssm', false, 'parameters injected from SSM Parameter Store fail at task start'),
    ],
  },
  ssm: {
    name: 'ssm',
    description: 'instances managed by Systems Manager (Session Manager, Run Command, Patch Manager)',
    services: [
      interfaceService('ssm', true, 'the SSM agent cannot register or fetch commands'),
      interfaceService('ssmmessages', true, 'Session Manager sessions cannot open'),
      interfaceService('ec2messages', true, 'Run Command cannot deliver commands to the agent'),
      gatewayService('s3', false, 'patching and SSM documents stored in S3 fail'),
    ],
  },
  lambda: {
    name: 'lambda',
    description:
      'a Lambda function attached to the VPC (it also needs an endpoint for every service it calls)',
    services: [
      interfaceService('sts', true, 'role assumption from the function fails'),
      interfaceService('logs', true, 'log calls the function makes itself (not the runtime logs) fail'),
    ],
  },
  'eks-nodes': {
    name: 'eks-nodes',
    description: 'EKS nodes and pods in a cluster without outbound internet access',
    services: [
      interfaceService('ec2', true, 'the EKS optimized AMI cannot set the node name; nodes fail to join'),
      interfaceService('ecr.api', true, 'image pulls fail: ECR authentication and manifests'),
      interfaceService('ecr.dkr', true, 'image pulls fail: the Docker registry API'),
      gatewayService('s3', true, 'image pulls fail: ECR image layers are stored in S3'),
      interfaceService('sts', true, 'IAM roles for service accounts (IRSA) cannot get credentials'),
      interfaceService('logs', false, 'node and pod logs sent to CloudWatch Logs are lost'),
      interfaceService(
        'elasticloadbalancing',
        false,
        'the AWS Load Balancer Controller cannot manage ALBs/NLBs',
      ),
      interfaceService('autoscaling', false, 'Cluster Autoscaler cannot scale node groups'),
      interfaceService('eks-auth', false, 'EKS Pod Identity associations cannot get credentials'),
      interfaceService('xray', false, 'traces sent to X-Ray are lost'),
      interfaceService('ssm', false, 'the SSM agent on nodes cannot register'),
    ],
  },
};

/** Profile names accepted in configuration. */
export function validProfileNames(): string[] {
  return Object.keys(PROFILES);
}

// Label used for wildcard private DNS names (`*.dkr.ecr.REGION.amazonaws.com`) when no account id
// is known: the private hosted zone (and the public zone) answer any label under the wildcard and
// the service certificate is a wildcard, so DNS, TCP and TLS all test the same path a workload uses.
const WILDCARD_LABEL = 'vpce-doctor';

/**
 * API hostnames that are not `SHORTNAME.REGION.amazonaws.com`, for when the inventory holds no
 * service details (`ServiceDetail.PrivateDnsName(s)` is the source and wins): the endpoint
 * service's short name → the name its SDKs call. Sources: AWS-FACTS.md and the services' endpoint
 * pages in the AWS General Reference.
 */
const API_HOSTNAMES: Readonly<Record<string, string>> = {
  'ecr.api': 'api.ecr.REGION.amazonaws.com',
  'ecr.dkr': '*.dkr.ecr.REGION.amazonaws.com',
  'kinesis-streams': 'kinesis.REGION.amazonaws.com',
  'kinesis-firehose': 'firehose.REGION.amazonaws.com',
  'sagemaker.runtime': 'runtime.sagemaker.REGION.amazonaws.com',
  'sagemaker.api': 'api.sagemaker.REGION.amazonaws.com',
  'execute-api': '*.execute-api.REGION.amazonaws.com',
  'codeartifact.api': 'codeartifact.REGION.amazonaws.com',
};

/**
 * The hostname a workload resolves for a service. Preference: the service's private DNS name
 * (a leading `*.` replaced by the account id, else `vpce-doctor`), then API_HOSTNAMES, then
 * `S.R.amazonaws.com`.
 */
export function serviceHostname(
  shortName: string,
  region: string,
  accountId?: string,
  privateDnsName?: string,
): string {
  const label = accountId ?? WILDCARD_LABEL;
  const name = privateDnsName ?? API_HOSTNAMES[shortName]?.replace('REGION', region);
  if (name) return name.startsWith('*.') ? `${label}.${name.slice(2)}` : name;
  return `${shortName}.${region}.amazonaws.com`;
}

/** The targets a profile implies in a region, in the profile's order; [] for an unknown profile. */
export function profileTargets(profileName: string, region: string, accountId?: string): ProfileTarget[] {
  const profile = PROFILES[profileName];
  if (!profile) return [];
  return profile.services.map((entry) => ({
    ...entry,
    profile: profile.name,
    service: `com.amazonaws.${region}.${entry.shortName}`,
    hostname: serviceHostname(entry.shortName, region, accountId),
  }));
}

/** The profile's entry for a service short name, if the profile lists it. */
export function profileService(profileName: string, shortName: string): ProfileService | undefined {
  return PROFILES[profileName]?.services.find((entry) => entry.shortName === shortName);
}
