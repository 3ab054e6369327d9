// The endpoint itself: state, private DNS, an ENI in the agent's AZ, and the VPC DNS
// attributes private DNS depends on.
import type { VpcEndpoint } from '@aws-sdk/client-ec2';
import { agentAz, azNameToId, azRefOf, azText, completeAz, sameAz } from '../src/eval/availability-zones.js';
import {
  endpointEnis,
  endpointGroupIds,
  interfaceAddresses,
  isAwsService,
  targetEndpoint,
  workloadAddresses,
} from '../src/inventory-view.js';
import type { Check, CheckInput, Finding, Gap, OffPathEndpoint, OffPathReason } from '../src/model.js';
import { hubEndpointFindings } from './hub.js';
import { gapFinding } from './shared.js';

function notAvailableFix(endpoint: VpcEndpoint, state: string): string {
  const id = endpoint.VpcEndpointId ?? '?';
  const service = endpoint.ServiceName ?? '?';
  const serviceId = service.split('.').pop() ?? service;
  switch (state) {
    case 'pendingacceptance':
      return `accept it in the service owner's account: aws ec2 accept-vpc-endpoint-connections --service-id ${serviceId} --vpc-endpoint-ids ${id}`;
    case 'pending':
      return `wait for ${id} to become available (usually a few minutes), then re-run; if it stays pending, recreate it`;
    default: {
      const type = endpoint.VpcEndpointType ?? 'Interface';
      const placement =
        type === 'Gateway'
          ? ` --route-table-ids ${(endpoint.RouteTableIds ?? []).join(' ') || 'rtb-…'}`
          : ` --subnet-ids ${(endpoint.SubnetIds ?? []).join(' ') || 'subnet-…'} --security-group-ids ${endpointGroupIds(endpoint).join(' ') || 'sg-…'}`;
      return `recreate it: aws ec2 delete-vpc-endpoints --vpc-endpoint-ids ${id}; aws ec2 create-vpc-endpoint --vpc-id ${endpoint.VpcId ?? 'vpc-…'} --service-name ${service} --vpc-endpoint-type ${type}${placement}`;
    }
  }
}

function stateFinding(endpoint: VpcEndpoint): Finding | undefined {
  const state = endpoint.State ?? 'unknown';
  if (state.toLowerCase() === 'available') return undefined;
  const meaning: Record<string, string> = {
    pendingacceptance: 'waits for the service owner to accept the connection',
    pending: 'is still being created',
    rejected: 'was rejected by the service owner',
    failed: 'failed to be created',
    expired: 'expired before the service owner accepted it',
    deleting: 'is being deleted',
    deleted: 'was deleted',
  };
  const key = state.toLowerCase();
  return {
    check: 'endpoint',
    code: 'ENDPOINT_NOT_AVAILABLE',
    status: 'fail',
    message: `${endpoint.VpcEndpointId} (${endpoint.ServiceName}) is ${state}: it ${meaning[key] ?? 'does not carry traffic'}`,
    fix: notAvailableFix(endpoint, key),
    evidence: { endpointId: endpoint.VpcEndpointId, serviceName: endpoint.ServiceName, state },
  };
}

function azFinding(input: CheckInput, endpoint: VpcEndpoint, endpointAzs: string[]): Finding | undefined {
  const { context, inventory } = input;
  if (endpointAzs.length === 0) return undefined;
  // Compared by AZ id: a configured `use1-az1` and an ENI's `us-east-1a` are the same AZ or not
  // only through the inventory's name/id pairs; without them the answer is unknown, not a warning.
  const pairs = azNameToId(inventory);
  const agent = agentAz(context, inventory);
  const refs = endpointAzs.map((az) => completeAz(azRefOf(az), pairs));
  const matches = refs.map((ref) => sameAz(agent, ref));
  if (matches.includes(true)) return undefined;
  const id = endpoint.VpcEndpointId ?? '?';
  const agentText = azText(agent);
  if (matches.includes(undefined)) {
    const purpose = `tell whether ${id} has an ENI in the agent's AZ (${agentText}; endpoint in ${endpointAzs.join(', ')}): AZ names and ids cannot be matched`;
    if (!inventory.subnets.ok)
      return gapFinding('endpoint', 'ENDPOINT_UNKNOWN', inventory.subnets.gap, purpose);
    return {
      check: 'endpoint',
      code: 'ENDPOINT_UNKNOWN',
      status: 'unknown',
      message: `cannot ${purpose}`,
      fix: `set VPCE_DOCTOR_AZ to the agent's AZ in the form the endpoint's is given (e.g. ${endpointAzs[0]}), or VPCE_DOCTOR_SUBNET_ID to its subnet so EC2 says both`,
      evidence: { endpointId: id, agentAz: agent, endpointAzs },
    };
  }
  const detail = inventory.services.ok
    ? inventory.services.value.find((service) => service.ServiceName === endpoint.ServiceName)
    : undefined;
  const offeredIn = detail?.AvailabilityZones;
  const offeredIds = detail?.AvailabilityZoneIds;
  const offeredHere =
    agent.id && offeredIds !== undefined && offeredIds.length > 0
      ? offeredIds.includes(agent.id)
      : agent.name && offeredIn !== undefined
        ? offeredIn.includes(agent.name)
        : undefined;
  const evidence = {
    endpointId: id,
    agentAz: agent.name ?? agent.id ?? null,
    agentAzId: agent.id ?? null,
    endpointAzs,
    endpointAzIds: refs.map((ref) => ref.id ?? null),
    serviceAzs: offeredIn ?? null,
    serviceOfferedInAgentAz: offeredHere ?? null,
  };
  if (offeredHere === false) {
    return {
      check: 'endpoint',
      code: 'ENDPOINT_NOT_IN_AZ',
      status: 'warn',
      message: `${id} has no ENI in ${agentText} (only ${endpointAzs.join(', ')}) and ${endpoint.ServiceName} is not offered there (offered in ${offeredIn?.join(', ') ?? offeredIds?.join(', ')}); traffic crosses AZs (latency, cost)`,
      fix: `the service cannot be placed in ${agentText}: run the workload in ${offeredIn?.join(' or ') ?? offeredIds?.join(' or ')}, or accept cross-AZ traffic to ${endpointAzs.join(', ')}`,
      evidence,
    };
  }
  return {
    check: 'endpoint',
    code: 'ENDPOINT_NOT_IN_AZ',
    status: 'warn',
    message: `${id} has no ENI in ${agentText} (only ${endpointAzs.join(', ')}); traffic from ${context.privateIp} crosses AZs (latency, cost, and fails with that AZ)`,
    fix: `aws ec2 modify-vpc-endpoint --vpc-endpoint-id ${id} --add-subnet-ids ${context.subnetId}`,
    evidence,
  };
}

function vpcDnsFindings(
  input: CheckInput,
  endpoint: VpcEndpoint,
): { findings: Finding[]; facts: Record<string, unknown> } {
  const { inventory, context } = input;
  const findings: Finding[] = [];
  const facts: Record<string, unknown> = {};
  const attributes = [
    {
      part: inventory.dnsSupport,
      name: 'enableDnsSupport',
      code: 'VPC_DNS_SUPPORT_DISABLED',
      flag: '--enable-dns-support',
    },
    {
      part: inventory.dnsHostnames,
      name: 'enableDnsHostnames',
      code: 'VPC_DNS_HOSTNAMES_DISABLED',
      flag: '--enable-dns-hostnames',
    },
  ];
  for (const attribute of attributes) {
    if (!attribute.part.ok) {
      findings.push(
        gapFinding(
          'endpoint',
          'ENDPOINT_UNKNOWN',
          attribute.part.gap,
          `read ${attribute.name} of ${context.vpcId}`,
        ),
      );
      continue;
    }
    facts[attribute.name] = attribute.part.value;
    if (attribute.part.value) continue;
    findings.push({
      check: 'endpoint',
      code: attribute.code,
      status: 'fail',
      message: `${context.vpcId} has ${attribute.name} off: private DNS of ${endpoint.VpcEndpointId} (${endpoint.ServiceName}) does not apply, ${input.target.hostname} resolves to public addresses`,
      fix: `aws ec2 modify-vpc-attribute --vpc-id ${context.vpcId} ${attribute.flag} "{\\"Value\\":true}"`,
      evidence: {
        vpcId: context.vpcId,
        attribute: attribute.name,
        value: false,
        endpointId: endpoint.VpcEndpointId,
      },
    });
  }
  return { findings, facts };
}

function endpointAzsOf(input: CheckInput, endpoint: VpcEndpoint): string[] | Gap {
  const { inventory } = input;
  if (inventory.endpointInterfaces.ok) {
    const azs = endpointEnis(inventory.endpointInterfaces.value, endpoint).flatMap((eni) => {
      const az = eni.AvailabilityZone ?? eni.AvailabilityZoneId;
      return az ? [az] : [];
    });
    if (azs.length > 0) return [...new Set(azs)];
  }
  if (inventory.subnets.ok) {
    const subnetIds = new Set(endpoint.SubnetIds ?? []);
    const subnets = inventory.subnets.value;
    return [
      ...new Set(
        subnets.flatMap((s) =>
          s.SubnetId && subnetIds.has(s.SubnetId) && (s.AvailabilityZone ?? s.AvailabilityZoneId)
            ? [(s.AvailabilityZone ?? s.AvailabilityZoneId)!]
            : [],
        ),
      ),
    ];
  }
  return inventory.endpointInterfaces.ok ? [] : inventory.endpointInterfaces.gap;
}

/**
 * An endpoint service with no private DNS name and no endpoint DNS entries has no name to
 * resolve (its service name is not a DNS name): DNS and TLS cannot be probed, TCP to the ENIs can.
 */
function noDnsNameFinding(input: CheckInput, endpoint: VpcEndpoint | undefined): Finding {
  const { target, inventory } = input;
  const detail = inventory.services.ok
    ? inventory.services.value.find((service) => service.ServiceName === target.service)
    : undefined;
  const offered = detail?.PrivateDnsName;
  const configure = `name the hostname clients use in the configuration: services: [{ name: ${target.shortName}, hostname: <name> }]`;
  const id = endpoint?.VpcEndpointId ?? target.endpointId;
  return {
    check: 'endpoint',
    code: 'ENDPOINT_NO_DNS_NAME',
    status: 'unknown',
    message: `${id ?? target.service} (${target.service}) has no DNS name vpce-doctor knows${
      endpoint ? ' (private DNS off, no DnsEntries)' : ' (no endpoint in this VPC)'
    }: DNS and TLS are not probed${endpoint ? ', only TCP to its ENIs' : ''}`,
    fix:
      offered && id
        ? `${configure}; or use the service's private DNS name ${offered}: aws ec2 modify-vpc-endpoint --vpc-endpoint-id ${id} --private-dns-enabled`
        : configure,
    evidence: {
      service: target.service,
      endpointId: id ?? null,
      privateDnsEnabled: endpoint?.PrivateDnsEnabled ?? null,
      dnsEntries: endpoint?.DnsEntries?.length ?? 0,
      servicePrivateDnsName: offered ?? null,
    },
  };
}

const OFF_PATH_WHY: Record<OffPathReason, (input: CheckInput, entry: OffPathEndpoint) => string> = {
  'inbound-resolver-only': (input) =>
    `its private DNS answers only inbound Resolver endpoints (on-premises clients); workloads in ${input.inventory.vpcId} resolve ${input.target.hostname} publicly`,
  'private-dns-elsewhere': (_input, entry) =>
    `${entry.pathId} owns the private DNS name (only one endpoint per service and VPC can); ${entry.endpointId} is reached only by its own DNS names`,
  'name-on-interface': (input, entry) =>
    `${input.target.hostname} resolves to interface endpoint ${entry.pathId} in this VPC, so the gateway route carries none of its traffic`,
  'same-kind-elsewhere': (_input, entry) =>
    entry.pathId
      ? `${entry.pathId} is the endpoint this service is checked through; ${entry.endpointId} is reached only by its own DNS names`
      : `no endpoint of this service is on the VPC's path`,
};

/** The service's other endpoints, which the VPC's workloads do not use: listed, not judged. */
function offPathFindings(input: CheckInput): Finding[] {
  return (input.target.offPath ?? []).map((entry) => ({
    check: 'endpoint',
    code: 'ENDPOINT_NOT_ON_PATH',
    status: 'info',
    message: `${entry.endpointId} (${entry.endpointType}) also serves ${input.target.service} but is not on this VPC's path: ${OFF_PATH_WHY[entry.reason](input, entry)}; it is not probed or judged`,
    evidence: { ...entry },
  }));
}

/** State, private DNS, AZ placement and the VPC DNS attributes of the target's endpoint. */
export const checkEndpoint: Check = (input) => {
  const { inventory, target } = input;
  const own =
    target.hostname === ''
      ? [noDnsNameFinding(input, targetEndpoint(inventory, target)), ...checkEndpointItself(input)]
      : checkEndpointItself(input);
  return [...own, ...offPathFindings(input), ...hubEndpointFindings(input)];
};

function checkEndpointItself(input: CheckInput): Finding[] {
  const { inventory, target } = input;
  if (target.endpointType === 'none' || !target.endpointId) return [];
  if (!inventory.endpoints.ok) {
    return [gapFinding('endpoint', 'ENDPOINT_UNKNOWN', inventory.endpoints.gap, `read ${target.endpointId}`)];
  }
  const endpoint = targetEndpoint(inventory, target);
  if (!endpoint) {
    return [
      {
        check: 'endpoint',
        code: 'ENDPOINT_NOT_FOUND',
        status: 'fail',
        message: `${target.endpointId} (${target.service}) is not among the endpoints of ${inventory.vpcId}`,
        fix: `check the endpoint id in the configuration; list them with aws ec2 describe-vpc-endpoints --filters Name=vpc-id,Values=${inventory.vpcId}`,
        evidence: { endpointId: target.endpointId, vpcId: inventory.vpcId },
      },
    ];
  }
  const findings: Finding[] = [];
  const state = stateFinding(endpoint);
  if (state) findings.push(state);
  const evidence: Record<string, unknown> = {
    endpointId: endpoint.VpcEndpointId,
    serviceName: endpoint.ServiceName,
    type: endpoint.VpcEndpointType,
    state: endpoint.State,
  };

  if (endpoint.VpcEndpointType === 'Interface') {
    const awsService = isAwsService(endpoint.ServiceName ?? '');
    evidence['privateDnsEnabled'] = endpoint.PrivateDnsEnabled ?? false;
    // An endpoint whose private DNS answers inbound resolvers only is never a target's path
    // (servicePath in src/targets.ts): it is listed as ENDPOINT_NOT_ON_PATH instead.
    const answered = workloadAddresses(input.observations.dns);
    const eniIps = new Set(interfaceAddresses(inventory, target));
    if (
      awsService &&
      endpoint.PrivateDnsEnabled !== true &&
      answered.length > 0 &&
      answered.every((ip) => eniIps.has(ip))
    ) {
      // The centralised-endpoint pattern: private DNS off, and a private hosted zone (or a
      // Resolver rule) named like the service answers with the endpoint's ENIs.
      findings.push({
        check: 'endpoint',
        code: 'ENDPOINT_PRIVATE_DNS_BY_ZONE',
        status: 'info',
        message: `${endpoint.VpcEndpointId} (${endpoint.ServiceName}) has private DNS off, yet ${target.hostname} resolves to its ENIs (${answered.join(', ')}): a private hosted zone or Resolver rule serves the name`,
        evidence: {
          endpointId: endpoint.VpcEndpointId,
          serviceName: endpoint.ServiceName,
          privateDnsEnabled: false,
          answered,
        },
      });
    } else if (awsService && endpoint.PrivateDnsEnabled !== true) {
      findings.push({
        check: 'endpoint',
        code: 'ENDPOINT_PRIVATE_DNS_DISABLED',
        status: 'fail',
        message: `${endpoint.VpcEndpointId} (${endpoint.ServiceName}) has private DNS off: ${target.hostname} resolves to public addresses and bypasses the endpoint`,
        fix: `aws ec2 modify-vpc-endpoint --vpc-endpoint-id ${endpoint.VpcEndpointId} --private-dns-enabled`,
        evidence: {
          endpointId: endpoint.VpcEndpointId,
          serviceName: endpoint.ServiceName,
          privateDnsEnabled: false,
        },
      });
    }
    if (awsService || endpoint.PrivateDnsEnabled === true) {
      const dns = vpcDnsFindings(input, endpoint);
      findings.push(...dns.findings);
      Object.assign(evidence, dns.facts);
    }
    const azs = endpointAzsOf(input, endpoint);
    if (Array.isArray(azs)) {
      evidence['endpointAzs'] = azs;
      const az = azFinding(input, endpoint, azs);
      if (az) findings.push(az);
    } else {
      findings.push(
        gapFinding('endpoint', 'ENDPOINT_UNKNOWN', azs, `tell the AZs of ${endpoint.VpcEndpointId}`),
      );
    }
  }

  if (findings.some((f) => f.status !== 'info')) return findings;
  return [
    ...findings,
    {
      check: 'endpoint',
      code: 'ENDPOINT_OK',
      status: 'pass',
      message:
        endpoint.VpcEndpointType !== 'Interface'
          ? `${endpoint.VpcEndpointId} (${endpoint.ServiceName}, ${endpoint.VpcEndpointType}) is available`
          : `${endpoint.VpcEndpointId} (${endpoint.ServiceName}) is available with private DNS ${endpoint.PrivateDnsEnabled ? 'on' : 'off'} and an ENI in ${input.context.availabilityZone}`,
      evidence,
    },
  ];
}
