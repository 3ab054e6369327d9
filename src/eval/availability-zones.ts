// Availability Zones by name and by id. Names (us-east-1a) are shuffled per account; ids
// (use1-az1) are the same everywhere. A configured AZ may be either, so two AZs are compared by
// id whenever both ids are known, by name only when both sides are names, and otherwise not at all.
import type { AgentContext, Inventory } from '../model.js';

export interface AzRef {
  name?: string;
  id?: string;
}

/** True for an AZ name (us-east-1a, us-west-2-lax-1a), false for an AZ id (use1-az1). */
export function isAzName(value: string): boolean {
  return /^[a-z]{2}(-[a-z]+)+-\d[a-z]/.test(value);
}

/** An AZ given in either form, as a reference with the one field it fills. */
export function azRefOf(value: string | undefined): AzRef {
  if (!value) return {};
  return isAzName(value) ? { name: value } : { id: value };
}

/** Name → id pairs the inventory read: every subnet's, and every endpoint ENI's that lists both. */
export function azNameToId(inventory: Inventory): Map<string, string> {
  const pairs = new Map<string, string>();
  const add = (name: string | undefined, id: string | undefined) => {
    if (name && id && !pairs.has(name)) pairs.set(name, id);
  };
  if (inventory.subnets.ok)
    for (const s of inventory.subnets.value) add(s.AvailabilityZone, s.AvailabilityZoneId);
  if (inventory.endpointInterfaces.ok) {
    for (const eni of inventory.endpointInterfaces.value) add(eni.AvailabilityZone, eni.AvailabilityZoneId);
  }
  return pairs;
}

/** Fills the missing half of a reference from the pairs the inventory read. */
export function completeAz(ref: AzRef, pairs: Map<string, string>): AzRef {
  const out: AzRef = { ...ref };
  if (out.name && !out.id) {
    const id = pairs.get(out.name);
    if (id) out.id = id;
  }
  if (out.id && !out.name) {
    const name = [...pairs].find(([, id]) => id === out.id)?.[0];
    if (name) out.name = name;
  }
  return out;
}

/**
 * The agent's AZ: its own subnet as EC2 describes it when the inventory holds it (the best truth,
 * over any configured string), else what discovery or configuration said, completed by id or name.
 */
export function agentAz(context: AgentContext, inventory: Inventory): AzRef {
  const subnet = inventory.subnets.ok
    ? inventory.subnets.value.find((s) => s.SubnetId === context.subnetId)
    : undefined;
  if (subnet?.AvailabilityZone || subnet?.AvailabilityZoneId) {
    return completeAz(
      {
        ...(subnet.AvailabilityZone ? { name: subnet.AvailabilityZone } : {}),
        ...(subnet.AvailabilityZoneId ? { id: subnet.AvailabilityZoneId } : {}),
      },
      azNameToId(inventory),
    );
  }
  const given = azRefOf(context.availabilityZone);
  if (context.availabilityZoneId) given.id = context.availabilityZoneId;
  return completeAz(given, azNameToId(inventory));
}

/** Same AZ? By id when both are known, by name when both are names; undefined when they cannot be matched. */
export function sameAz(a: AzRef, b: AzRef): boolean | undefined {
  if (a.id && b.id) return a.id === b.id;
  if (a.name && b.name) return a.name === b.name;
  return undefined;
}

/** `us-east-1a`, or the id when the name is not known. */
export function azText(ref: AzRef): string {
  return ref.name ?? ref.id ?? 'an unknown AZ';
}
