// The VPCE_DOCTOR_* context overrides, validated where they are read: a typo taken as a fact
// would make the checks blame a security group or an ACL that is not the agent's.
import { ConfigError, splitList } from '../config.js';
import { isIpv4 } from '../net/ip.js';

export interface ContextEnv {
  privateIp?: string;
  subnetId?: string;
  vpcId?: string;
  availabilityZone?: string;
  securityGroupIds?: string[];
}

const SUBNET_ID = /^subnet-[0-9a-f]+$/;
const VPC_ID = /^vpc-[0-9a-f]+$/;
const SG_ID = /^sg-[0-9a-f]+$/;
/** An AZ name (us-east-1a, us-gov-west-1b, us-west-2-lax-1a) or an AZ id (use1-az1). */
const AZ = /^([a-z]{2}(-[a-z]+)+-\d([a-z]|-[a-z]+-\d[a-z])|[a-z]{2,5}\d-([a-z]{3}\d-)?az\d+)$/;
const IPV4 = { test: isIpv4 };

function checked(
  variable: string,
  value: string,
  pattern: { test(s: string): boolean },
  what: string,
): string {
  if (!pattern.test(value)) throw new ConfigError(`${variable}: '${value}' is not ${what}`);
  return value;
}

/** The context facts the environment pins; throws ConfigError naming the first invalid variable. */
export function readContextEnv(env: Record<string, string | undefined>): ContextEnv {
  const out: ContextEnv = {};
  const read = (variable: string) => env[variable]?.trim() || undefined;
  const privateIp = read('VPCE_DOCTOR_PRIVATE_IP');
  if (privateIp) out.privateIp = checked('VPCE_DOCTOR_PRIVATE_IP', privateIp, IPV4, 'an IPv4 address');
  const subnetId = read('VPCE_DOCTOR_SUBNET_ID');
  if (subnetId)
    out.subnetId = checked('VPCE_DOCTOR_SUBNET_ID', subnetId, SUBNET_ID, 'a subnet id (subnet-…)');
  const vpcId = read('VPCE_DOCTOR_VPC_ID');
  if (vpcId) out.vpcId = checked('VPCE_DOCTOR_VPC_ID', vpcId, VPC_ID, 'a VPC id (vpc-…)');
  const az = read('VPCE_DOCTOR_AZ');
  if (az) {
    out.availabilityZone = checked(
      'VPCE_DOCTOR_AZ',
      az,
      AZ,
      'an Availability Zone name or id (us-east-1a, use1-az1)',
    );
  }
  const groups = splitList(env['VPCE_DOCTOR_SECURITY_GROUP_IDS'] ?? '');
  for (const group of groups) {
    checked('VPCE_DOCTOR_SECURITY_GROUP_IDS', group, SG_ID, 'a security group id (sg-…)');
  }
  if (groups.length > 0) out.securityGroupIds = groups;
  return out;
}

/** Rejects invalid VPCE_DOCTOR_* context variables before any network call. */
export function validateContextEnv(env: Record<string, string | undefined>): void {
  readContextEnv(env);
}

export { isAzName } from '../eval/availability-zones.js';
