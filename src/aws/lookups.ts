// The few EC2 look-ups context discovery needs ("which ENI owns this address?"), kept here so
// that only src/aws/ talks to AWS. Each is one filtered call with its own short deadline.
import {
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  type NetworkInterface,
  type Subnet,
  type Vpc,
} from '@aws-sdk/client-ec2';
import type { Part } from '../model.js';
import { collect, createBatch } from './batch.js';
import type { Ec2 } from './inventory.js';
import { networkInterfaceRules, subnetRules, vpcRules } from './normalize.js';

export interface LookupOptions {
  signal?: AbortSignal;
  timeoutMs: number;
}

function batchFor(options: LookupOptions) {
  return createBatch({ timeoutMs: options.timeoutMs, ...(options.signal ? { signal: options.signal } : {}) });
}

/**
 * The ENIs whose primary or secondary private IPv4 is one of `addresses` (one call), in `vpcId`
 * when it is known: VPCs with the same CIDR are common, so an address alone can name several ENIs.
 */
export function findInterfacesByAddress(
  ec2: Ec2,
  addresses: string[],
  options: LookupOptions & { vpcId?: string | undefined },
): Promise<Part<NetworkInterface[]>> {
  const filters = [{ Name: 'addresses.private-ip-address', Values: addresses.slice(0, 200) }];
  if (options.vpcId) filters.push({ Name: 'vpc-id', Values: [options.vpcId] });
  return collect(
    batchFor(options),
    'DescribeNetworkInterfaces',
    (NextToken, abortSignal) =>
      ec2.send(new DescribeNetworkInterfacesCommand({ Filters: filters, NextToken }), { abortSignal }),
    (out) => out.NetworkInterfaces,
    networkInterfaceRules,
  );
}

/**
 * The Hyperplane ENIs Lambda created in `subnetId`: a function's own addresses are not these,
 * and these are the source addresses the endpoint sees.
 */
export function findLambdaInterfaces(
  ec2: Ec2,
  subnetId: string,
  options: LookupOptions,
): Promise<Part<NetworkInterface[]>> {
  return collect(
    batchFor(options),
    'DescribeNetworkInterfaces',
    (NextToken, abortSignal) =>
      ec2.send(
        new DescribeNetworkInterfacesCommand({
          Filters: [
            { Name: 'subnet-id', Values: [subnetId] },
            { Name: 'description', Values: ['AWS Lambda VPC ENI*'] },
          ],
          NextToken,
        }),
        { abortSignal },
      ),
    (out) => out.NetworkInterfaces,
    networkInterfaceRules,
  );
}

export async function describeSubnet(
  ec2: Ec2,
  subnetId: string,
  options: LookupOptions,
): Promise<Part<Subnet | undefined>> {
  const part = await collect(
    batchFor(options),
    'DescribeSubnets',
    (NextToken, abortSignal) =>
      ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId], NextToken }), { abortSignal }),
    (out) => out.Subnets,
    subnetRules,
  );
  return part.ok ? { ok: true, value: part.value.find((s) => s.SubnetId === subnetId) } : part;
}

/** The subnets with these ids (one call; filtered, so an ENI's subnet deleted meanwhile is no error). */
export function describeSubnets(
  ec2: Ec2,
  subnetIds: string[],
  options: LookupOptions,
): Promise<Part<Subnet[]>> {
  return collect(
    batchFor(options),
    'DescribeSubnets',
    (NextToken, abortSignal) =>
      ec2.send(
        new DescribeSubnetsCommand({ Filters: [{ Name: 'subnet-id', Values: subnetIds }], NextToken }),
        { abortSignal },
      ),
    (out) => out.Subnets,
    subnetRules,
  );
}

export async function describeVpc(
  ec2: Ec2,
  vpcId: string,
  options: LookupOptions,
): Promise<Part<Vpc | undefined>> {
  const part = await collect(
    batchFor(options),
    'DescribeVpcs',
    (NextToken, abortSignal) =>
      ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId], NextToken }), { abortSignal }),
    (out) => out.Vpcs,
    vpcRules,
  );
  return part.ok ? { ok: true, value: part.value.find((v) => v.VpcId === vpcId) } : part;
}
