// ECS task metadata v4: the task's AZ and its awsvpc address. It has no subnet or ENI id;
// those come from EC2 afterwards.
export interface EcsFacts {
  availabilityZone?: string;
  privateIp?: string;
  subnetCidr?: string;
}

export type Fetch = typeof globalThis.fetch;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Pure: the facts a `/task` document holds, or an error naming what is malformed. */
export function parseEcsTask(doc: unknown): EcsFacts {
  if (!isRecord(doc)) throw new Error('task metadata is not a JSON object');
  const facts: EcsFacts = {};
  if (typeof doc['AvailabilityZone'] === 'string' && doc['AvailabilityZone']) {
    facts.availabilityZone = doc['AvailabilityZone'];
  }
  const containers = doc['Containers'];
  if (containers !== undefined && !Array.isArray(containers))
    throw new Error('task metadata Containers is not a list');
  for (const container of containers ?? []) {
    if (!isRecord(container) || !Array.isArray(container['Networks'])) continue;
    for (const network of container['Networks']) {
      if (!isRecord(network)) continue;
      const addresses = network['IPv4Addresses'];
      const first = Array.isArray(addresses) ? addresses[0] : undefined;
      if (typeof first !== 'string' || !first) continue;
      facts.privateIp = first;
      const cidr = network['IPv4SubnetCIDRBlock'];
      if (typeof cidr === 'string' && cidr) facts.subnetCidr = cidr;
      return facts;
    }
  }
  return facts;
}

export async function readEcsMetadata(fetchFn: Fetch, uri: string, signal: AbortSignal): Promise<EcsFacts> {
  const response = await fetchFn(`${uri.replace(/\/+$/, '')}/task`, { signal });
  if (!response.ok) throw new Error(`GET ${uri}/task answered HTTP ${response.status}`);
  return parseEcsTask(await response.json());
}
