// The names an SDK may call for a service instead of the one a VPC endpoint's private DNS
// serves: STS's global name, the dual-stack names and the FIPS names. Pure: the table and the
// names per target; the probes resolve them (src/probe-plan.ts), checks/sdk-names.ts judges.
//
// Sources:
// - STS global `sts.amazonaws.com`: AWS SDKs and Tools Reference Guide, "AWS STS Regional
//   endpoints" (feature-sts-regionalized-endpoints); the endpoint rules' AWS::STS::UseGlobalEndpoint
//   built-in (aws-sdk-js-v3 packages/client-sts/src/endpoint/ruleset.ts).
// - FIPS `SERVICE-fips.REGION.amazonaws.com` and dual-stack `SERVICE.REGION.api.aws` /
//   `s3.dualstack.REGION.amazonaws.com`: the AWS General Reference endpoint tables
//   (docs.aws.amazon.com/general/latest/gr/<service>.html), which the SDKs' endpoint rules follow
//   (UseFIPS → `{service}-fips.{Region}.{dnsSuffix}`, UseDualStack → `{service}.{Region}.{dualStackDnsSuffix}`,
//   dualStackDnsSuffix = api.aws in the aws partition).
import type { Inventory, SdkNameObservation, Target } from './model.js';

/** FIPS endpoints exist in the US and Canada commercial Regions only (General Reference). */
const FIPS_REGIONS = new Set([
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'ca-central-1',
  'ca-west-1',
]);

/** Endpoint short name → the FIPS host label, for the services the General Reference lists with one. */
const FIPS_LABEL: Readonly<Record<string, string>> = {
  sts: 'sts-fips',
  kms: 'kms-fips',
  secretsmanager: 'secretsmanager-fips',
  ssm: 'ssm-fips',
  ec2: 'ec2-fips',
  'ecr.api': 'ecr-fips',
  logs: 'logs-fips',
  sqs: 'sqs-fips',
  sns: 'sns-fips',
  lambda: 'lambda-fips',
  s3: 's3-fips',
};

/** Dual-stack names by short name: S3's older `dualstack` label, EC2's `api.aws` (General Reference). */
const DUALSTACK_NAME: Readonly<Record<string, (region: string) => string>> = {
  s3: (region) => `s3.dualstack.${region}.amazonaws.com`,
  ec2: (region) => `ec2.${region}.api.aws`,
};

export const STS_GLOBAL_NAME = 'sts.amazonaws.com';

export interface SdkName {
  kind: SdkNameObservation['kind'];
  hostname: string;
  endpointServes: boolean;
}

function matchesName(pattern: string, hostname: string): boolean {
  const p = pattern.toLowerCase().replace(/\.$/, '');
  if (p.startsWith('*.')) {
    const rest = hostname.slice(hostname.indexOf('.') + 1);
    return rest === p.slice(2);
  }
  return p === hostname;
}

/**
 * The names the target's endpoint answers through its private DNS: the service's private DNS
 * names (DescribeVpcEndpointServices), when the endpoint has private DNS on. Empty when unread.
 */
export function servedPrivateNames(
  inventory: Inventory,
  target: Pick<Target, 'service' | 'endpointId'>,
): string[] {
  if (!inventory.endpoints.ok || !inventory.services.ok) return [];
  const endpoint = inventory.endpoints.value.find((e) => e.VpcEndpointId === target.endpointId);
  if (!endpoint?.PrivateDnsEnabled) return [];
  const detail = inventory.services.value.find((d) => d.ServiceName === target.service);
  return [
    ...(detail?.PrivateDnsName ? [detail.PrivateDnsName] : []),
    ...(detail?.PrivateDnsNames ?? []).map((n) => n.PrivateDnsName ?? '').filter(Boolean),
  ];
}

/**
 * The variant names to resolve for a target: only for AWS services the VPC has an endpoint for
 * (the question is whether an SDK could bypass it), at most three per target. Names the target
 * itself resolves are not repeated.
 */
export function sdkNameVariants(
  target: Pick<Target, 'service' | 'shortName' | 'hostname' | 'endpointType'>,
  region: string,
  served: string[] = [],
): SdkName[] {
  if (target.endpointType === 'none' || !target.service.startsWith(`com.amazonaws.${region}.`)) return [];
  const serves = (hostname: string) => served.some((pattern) => matchesName(pattern, hostname));
  // An S3 or DynamoDB interface endpoint's target is named s3-interface / dynamodb-interface.
  const service = target.shortName.replace(/-interface$/, '');
  const names: SdkName[] = [];
  if (service === 'sts') names.push({ kind: 'sts-global', hostname: STS_GLOBAL_NAME, endpointServes: false });
  const dualstack = DUALSTACK_NAME[service];
  if (dualstack) {
    const hostname = dualstack(region);
    names.push({ kind: 'dualstack', hostname, endpointServes: serves(hostname) });
  }
  const fips = FIPS_LABEL[service];
  if (fips && FIPS_REGIONS.has(region)) {
    const hostname = `${fips}.${region}.amazonaws.com`;
    names.push({ kind: 'fips', hostname, endpointServes: serves(hostname) });
  }
  return names.filter((n) => n.hostname !== target.hostname.toLowerCase());
}
