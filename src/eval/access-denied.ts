// Which policy layer an AccessDenied names. Pure.
//
// AWS's access-denied messages follow one format (IAM User Guide, "Troubleshooting access denied
// error messages", troubleshoot_access-denied): "User: ARN is not authorized to perform: ACTION
// on resource: RESOURCE because CONTEXT", where CONTEXT is "with an explicit deny in a TYPE" or
// "because no TYPE allows the ACTION action", TYPE one of: service control policy, resource
// control policy, VPC endpoint policy, identity-based policy, resource-based policy, permissions
// boundary, session policy. Not every service uses the format; a message without it is
// `unclassified`, never guessed.

export type PolicyLayer =
  | 'vpc-endpoint-policy'
  | 'service-control-policy'
  | 'resource-control-policy'
  | 'identity-based-policy'
  | 'resource-based-policy'
  | 'permissions-boundary'
  | 'session-policy';

export interface AccessDeniedReading {
  /** The layer the message names; absent when it names none (`unclassified`). */
  layer?: PolicyLayer;
  /** An explicit Deny statement, or no Allow (implicit). Absent when unclassified. */
  deny?: 'explicit' | 'implicit';
  principal?: string;
  action?: string;
  resource?: string;
}

const LAYER_BY_TEXT: Array<[RegExp, PolicyLayer]> = [
  [/^VPC endpoint policy$/i, 'vpc-endpoint-policy'],
  [/^service control polic(y|ies)$/i, 'service-control-policy'],
  [/^resource control polic(y|ies)$/i, 'resource-control-policy'],
  [/^identity-based polic(y|ies)$/i, 'identity-based-policy'],
  [/^resource-based polic(y|ies)$/i, 'resource-based-policy'],
  [/^permissions boundar(y|ies)$/i, 'permissions-boundary'],
  [/^session polic(y|ies)$/i, 'session-policy'],
];

const TYPES =
  'VPC endpoint policy|service control polic(?:y|ies)|resource control polic(?:y|ies)|identity-based polic(?:y|ies)|resource-based polic(?:y|ies)|permissions boundar(?:y|ies)|session polic(?:y|ies)';
const EXPLICIT = new RegExp(`with an explicit deny in (?:an?|the) (${TYPES})`, 'i');
const IMPLICIT = new RegExp(`because no (${TYPES}) allows`, 'i');
const WHO =
  /User: (\S+) is not authorized to perform: (\S+?)(?: on resource: (\S+?))?(?:\s+(?:because|with)\b|\s*$)/;

function layerOf(text: string): PolicyLayer | undefined {
  return LAYER_BY_TEXT.find(([pattern]) => pattern.test(text.trim()))?.[1];
}

/** Reads an AccessDenied message into the layer it names and who was denied what. */
export function classifyAccessDenied(message: string): AccessDeniedReading {
  const text = message.slice(0, 4096);
  const reading: AccessDeniedReading = {};
  const who = WHO.exec(text);
  if (who) {
    reading.principal = who[1]!;
    reading.action = who[2]!;
    if (who[3]) reading.resource = who[3];
  }
  const explicit = EXPLICIT.exec(text);
  const implicit = explicit ? undefined : IMPLICIT.exec(text);
  const match = explicit ?? implicit;
  const layer = match ? layerOf(match[1]!) : undefined;
  if (layer) {
    reading.layer = layer;
    reading.deny = explicit ? 'explicit' : 'implicit';
  }
  return reading;
}

/**
 * Whether an Allow in the caller's own identity policy lifts this denial: only when the message
 * names no layer or says no identity-based policy allows. An explicit Deny anywhere, or a layer
 * above the role (SCP, RCP, endpoint policy, permissions boundary, session) that allows nothing,
 * is changed where it is written.
 */
export function roleAllowLifts(reading: AccessDeniedReading): boolean {
  return (
    reading.layer === undefined || (reading.layer === 'identity-based-policy' && reading.deny === 'implicit')
  );
}

/**
 * What to change when an Allow in the role cannot lift the denial: the layer AWS named, in
 * words (`Change a service control policy … to exempt ec2:X …`); undefined when the role's
 * own policy is the place.
 */
export function layerFix(reading: AccessDeniedReading, actions: string): string | undefined {
  if (!reading.layer || roleAllowLifts(reading)) return undefined;
  const explicit = reading.deny === 'explicit';
  return `change ${LAYER_WORDS[reading.layer]} to ${explicit ? 'exempt' : 'allow'} ${actions} for the agent's role: an Allow in the role's own policy cannot ${explicit ? 'override an explicit deny' : 'lift a denial made there'}`;
}

/** The layer in words, for messages. */
export const LAYER_WORDS: Record<PolicyLayer, string> = {
  'vpc-endpoint-policy': 'the VPC endpoint policy',
  'service-control-policy': 'a service control policy (AWS Organizations)',
  'resource-control-policy': 'a resource control policy (AWS Organizations)',
  'identity-based-policy': "the caller's identity-based policy",
  'resource-based-policy': 'a resource-based policy',
  'permissions-boundary': "the caller's permissions boundary",
  'session-policy': 'the session policy',
};
