// Read-only lookups over an inventory snapshot, shared by the runner and the checks.
import type { NetworkInterface, VpcEndpoint } from '@aws-sdk/client-ec2';
import type { Inventory } from './model.js';

export function endpointById(inventory: Inventory, endpointId: string): VpcEndpoint | undefined {
  return inventory.endpoints.ok
    ? inventory.endpoints.value.find((e) => e.VpcEndpointId === endpointId)
    : undefined;
}

/** The network interfaces of one interface endpoint, in the order EC2 lists them. */
export function endpointInterfaces(inventory: Inventory, endpointId: string): NetworkInterface[] {
  const endpoint = endpointById(inventory, endpointId);
  if (!endpoint || !inventory.endpointInterfaces.ok) return [];
  const ids = new Set(endpoint.NetworkInterfaceIds ?? []);
  return inventory.endpointInterfaces.value.filter(
    (eni) => eni.NetworkInterfaceId && ids.has(eni.NetworkInterfaceId),
  );
}

export function interfaceAddresses(inventory: Inventory, endpointId: string): string[] {
  return endpointInterfaces(inventory, endpointId)
    .map((eni) => eni.PrivateIpAddress)
    .filter((ip): ip is string => typeof ip === 'string');
}
