// What a fix builder reads besides the finding: the agent's place, the target the finding is
// about, and the inventory snapshot the report was made from (for the resources a fix rewrites).
import type { Vpc, VpcEndpoint } from '@aws-sdk/client-ec2';
import type { AgentContext, EndpointType, Finding, FixSet, Inventory } from '../model.js';

export interface FixScope {
  context: AgentContext;
  target?: { service: string; shortName: string; endpointId?: string; endpointType: EndpointType };
  inventory?: Inventory;
}

/** Builds the fix of one finding code; undefined when this finding's fix is not a resource change. */
export type FixBuilder = (finding: Finding, scope: FixScope) => FixSet | undefined;

export function text(evidence: Record<string, unknown>, key: string): string | undefined {
  const value = evidence[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function texts(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v !== '') : [];
}

export function records(value: unknown): Array<Record<string, unknown>> {
  return Array.isArray(value)
    ? value.filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null)
    : [];
}

/** The endpoint as EC2 described it, when the snapshot holds it. */
export function endpointOf(scope: FixScope, id: string | undefined): VpcEndpoint | undefined {
  const endpoints = scope.inventory?.endpoints;
  return id && endpoints?.ok ? endpoints.value.find((e) => e.VpcEndpointId === id) : undefined;
}

export function vpcOf(scope: FixScope): Vpc | undefined {
  const vpc = scope.inventory?.vpc;
  return vpc?.ok ? vpc.value : undefined;
}

/** `secretsmanager` from `com.amazonaws.us-east-1.secretsmanager`: for resource names. */
export function serviceLabel(service: string): string {
  return service.replace(/^com\.amazonaws\.(vpce\.)?[a-z0-9-]+\./, '');
}

/** Only the kinds that were built: a fix without any is no fix. */
export function fixSet(kinds: FixSet): FixSet | undefined {
  const present = Object.entries(kinds).filter(([, v]) => typeof v === 'string' && v !== '');
  return present.length > 0 ? (Object.fromEntries(present) as FixSet) : undefined;
}
