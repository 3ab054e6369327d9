// The configuration file (YAML or JSON) and the VPCE_DOCTOR_* environment, validated once at
// the edge against one schema, unknown fields rejected with a message naming the field.
import { open } from 'node:fs/promises';
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { CLIENT_KINDS } from './eval/nacl.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const OCTET = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const Ipv4 = Type.String({ pattern: `^(${OCTET}\\.){3}${OCTET}$`, description: 'an IPv4 address' });
const Port = Type.Integer({ minimum: 1, maximum: 65535 });
const Millis = Type.Integer({ minimum: 50, maximum: 600_000 });
/** A short name (ecr.dkr, s3-interface), a service name or an endpoint service name: what ?service= takes. */
const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]*$';
/** A configuration is a few KiB; a file far larger is a mistake (a log, a dump) or an attack on the parser. */
export const MAX_CONFIG_BYTES = 256 * 1024;

/** One call through an endpoint, for its endpoint policy (checks/endpoint-policy.ts). */
const ActionSchema = Type.Object(
  {
    action: Type.String({
      pattern: '^[a-z0-9-]+:[A-Za-z0-9*?]+$',
      maxLength: 128,
      description: 'an IAM action, e.g. s3:GetObject',
    }),
    resource: Type.String({
      pattern: '^(\\*|arn:[a-z-]+:[a-z0-9-]*:[a-z0-9-*?]*:(\\d{12}|\\*)?:\\S+)$',
      maxLength: 1024,
      description: '* (an action without a resource) or an ARN, e.g. arn:aws:s3:::my-bucket/*',
    }),
    principal: Type.Optional(
      Type.String({
        pattern: '^(\\d{12}|arn:[a-z-]+:(iam|sts)::\\d{12}:[A-Za-z0-9+=,.@_/-]+)$',
        maxLength: 512,
        description: 'who makes the call: an IAM role or user ARN, or an account id',
      }),
    ),
  },
  { additionalProperties: false },
);

const ServiceSchema = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: NAME_PATTERN,
      description:
        'short name (secretsmanager, ecr.dkr), service name (com.amazonaws.REGION.X) or endpoint service name',
    }),
    hostname: Type.Optional(
      Type.String({ minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9*]([A-Za-z0-9.*-]*[A-Za-z0-9])?$' }),
    ),
    ports: Type.Optional(Type.Array(Port, { minItems: 1, maxItems: 16 })),
    tls: Type.Optional(Type.Boolean()),
    required: Type.Optional(Type.Boolean()),
    actions: Type.Optional(
      Type.Array(ActionSchema, {
        maxItems: 64,
        description: "calls the workload makes through this service's endpoint, checked against its policy",
      }),
    ),
  },
  { additionalProperties: false },
);

const ConfigSchema = Type.Object(
  {
    profiles: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z0-9-]{1,32}$' }), { maxItems: 16 })),
    services: Type.Optional(Type.Array(ServiceSchema, { maxItems: 500 })),
    discover: Type.Optional(Type.Boolean({ description: 'check every endpoint of the VPC (default true)' })),
    timeouts: Type.Optional(
      Type.Object(
        {
          reportMs: Type.Optional(Millis),
          contextMs: Type.Optional(Millis),
          inventoryMs: Type.Optional(Millis),
          dnsMs: Type.Optional(Millis),
          tcpMs: Type.Optional(Millis),
          tlsMs: Type.Optional(Millis),
          httpMs: Type.Optional(Millis),
        },
        { additionalProperties: false },
      ),
    ),
    context: Type.Optional(
      Type.Object(
        {
          region: Type.Optional(Type.String({ maxLength: 32, pattern: '^[a-z]{2}(-[a-z]+)+-\\d$' })),
          vpcId: Type.Optional(Type.String({ maxLength: 32, pattern: '^vpc-[0-9a-f]+$' })),
          subnetId: Type.Optional(Type.String({ maxLength: 32, pattern: '^subnet-[0-9a-f]+$' })),
          availabilityZone: Type.Optional(
            Type.String({
              pattern: '^[a-z0-9-]{1,32}$',
              description: 'an AZ name (us-east-1a) or id (use1-az1)',
            }),
          ),
          privateIp: Type.Optional(Ipv4),
          securityGroupIds: Type.Optional(
            Type.Array(Type.String({ maxLength: 32, pattern: '^sg-[0-9a-f]+$' }), { maxItems: 16 }),
          ),
          clientKind: Type.Optional(
            Type.Union(
              CLIENT_KINDS.map((kind) => Type.Literal(kind)),
              { description: `whose ephemeral ports return traffic uses: ${CLIENT_KINDS.join(', ')}` },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    resolvers: Type.Optional(Type.Array(Ipv4, { maxItems: 8 })),
    inventoryTtlSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400 })),
    dnsQueriesPerSecond: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
    canary: Type.Optional(
      Type.Object(
        {
          l7: Type.Optional(
            Type.Boolean({
              description:
                'one unsigned HTTPS request per AWS service through an endpoint ENI (default true)',
            }),
          ),
          signed: Type.Optional(
            Type.Boolean({
              description:
                "one signed sts:GetCallerIdentity with the agent's own role through the regional STS endpoint (default false)",
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    hub: Type.Optional(
      Type.Object(
        {
          roleArn: Type.String({
            pattern: '^arn:aws[a-z-]*:iam::\\d{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$',
            maxLength: 600,
            description:
              'a role ARN (arn:aws:iam::ACCOUNT:role/NAME): the read-only role in the hub (shared-services or network) account',
          }),
          externalId: Type.Optional(
            Type.String({
              minLength: 2,
              maxLength: 1224,
              pattern: '^[A-Za-z0-9+=,.@:/-]+$',
              description: "the external id the hub role's trust policy requires",
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export type ServiceConfig = Static<typeof ServiceSchema>;
export type FileConfig = Static<typeof ConfigSchema>;

export interface HubConfig {
  roleArn: string;
  externalId?: string;
}

export interface Timeouts {
  reportMs: number;
  contextMs: number;
  inventoryMs: number;
  dnsMs: number;
  tcpMs: number;
  tlsMs: number;
  /** The L7 canary's request, from the end of the TLS handshake to the end of the answer. */
  httpMs: number;
}

export interface Config {
  profiles: string[];
  services: ServiceConfig[];
  discover: boolean;
  timeouts: Timeouts;
  context: NonNullable<FileConfig['context']>;
  resolvers: string[];
  inventoryTtlMs: number;
  dnsQueriesPerSecond: number;
  /** The L7 canary (default on) and the signed STS call (default off). */
  canary?: { l7: boolean; signed: boolean };
  /** The role that reads the hub side of centralised endpoints (hub endpoints, their groups, TGW tables). */
  hub?: HubConfig;
  /** Where the configuration came from, for the report. */
  source?: string;
}

/** Each phase's default fits inside the report's: 3 + 5 + 1.5 + 1 + 2 + 2 s < 15 s. */
export const DEFAULT_TIMEOUTS: Timeouts = {
  reportMs: 15_000,
  contextMs: 3_000,
  inventoryMs: 5_000,
  dnsMs: 1_500,
  tcpMs: 1_000,
  tlsMs: 2_000,
  httpMs: 2_000,
};

/** Validates a parsed document; the error names the first offending field. */
export function validateConfig(document: unknown, source = 'config'): Config {
  if (document === null || document === undefined) document = {};
  if (!Value.Check(ConfigSchema, document)) {
    const first = Value.Errors(ConfigSchema, document).First();
    const field = first?.path ? first.path.replace(/^\//, '').replaceAll('/', '.') : '(top level)';
    const message = first?.message ?? 'invalid';
    const detail = message === 'Unexpected property' ? 'unknown field' : message;
    throw new ConfigError(`${source}: ${field}: ${describeError(detail, first?.schema)}`);
  }
  const file = document as FileConfig;
  return {
    profiles: file.profiles ?? [],
    services: file.services ?? [],
    discover: file.discover ?? true,
    timeouts: { ...DEFAULT_TIMEOUTS, ...file.timeouts },
    context: file.context ?? {},
    resolvers: file.resolvers ?? [],
    inventoryTtlMs: (file.inventoryTtlSeconds ?? 60) * 1000,
    dnsQueriesPerSecond: file.dnsQueriesPerSecond ?? 100,
    canary: { l7: file.canary?.l7 ?? true, signed: file.canary?.signed ?? false },
    ...(file.hub ? { hub: { ...file.hub } } : {}),
    source,
  };
}

function describeError(message: string, schema: unknown): string {
  const description = (schema as { description?: string } | undefined)?.description;
  return description && !message.includes(description) ? `${message} (${description})` : message;
}

/** The file's text, refused past `limit` bytes without reading more (a FIFO or /dev/zero included). */
async function readCapped(path: string, limit: number): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(limit + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > limit) {
      const { size } = await handle.stat();
      const actual = size > limit ? `${Math.ceil(size / 1024)} KiB` : `more than ${limit / 1024} KiB`;
      throw new ConfigError(
        `${path}: the configuration file is ${actual}; at most ${limit / 1024} KiB is read (a configuration needs a few KiB)`,
      );
    }
    return buffer.toString('utf8', 0, length);
  } finally {
    await handle.close();
  }
}

/** Reads a YAML or JSON file (JSON is YAML). */
export async function loadConfigFile(path: string): Promise<Config> {
  let text: string;
  try {
    text = await readCapped(path, MAX_CONFIG_BYTES);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(`${path}: cannot read the configuration file (${code ?? String(error)})`);
  }
  // The YAML parser loads with the first configuration file: an agent configured by its
  // environment alone does not carry it (issue 17).
  const { parse: parseYaml } = await import('./yaml.js');
  let document: unknown;
  try {
    document = parseYaml(text, { uniqueKeys: true, maxAliasCount: 100 });
  } catch (error) {
    const line = (error as { linePos?: Array<{ line: number }> }).linePos?.[0]?.line;
    const reason = String((error as Error).message).split('\n')[0];
    throw new ConfigError(`${path}${line ? `:${line}` : ''}: not valid YAML or JSON: ${reason}`);
  }
  return validateConfig(document, path);
}

/** The configuration from VPCE_DOCTOR_CONFIG (a file) and VPCE_DOCTOR_* variables. */
export async function loadConfig(env: NodeJS.ProcessEnv, path?: string): Promise<Config> {
  const file = path ?? env.VPCE_DOCTOR_CONFIG;
  const config = file ? await loadConfigFile(file) : validateConfig({}, 'defaults');
  const profiles = env.VPCE_DOCTOR_PROFILES;
  if (profiles) config.profiles = [...new Set([...config.profiles, ...splitList(profiles)])];
  const services = env.VPCE_DOCTOR_SERVICES;
  if (services) {
    for (const name of splitList(services)) {
      if (!config.services.some((s) => s.name === name)) config.services.push({ name });
    }
  }
  return config;
}

export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
