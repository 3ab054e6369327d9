// The hub-and-spoke chain's clients (issue 15), made without loading their SDK modules: Route 53,
// Route 53 Resolver and STS load on the first call that needs them. Most VPCs never read the
// chain (src/aws/inventory.ts reads it only when the routes lead to a transit gateway or a
// peering, or a hub role is configured), so the sidecar does not carry three SDK clients it
// never calls: their code is about 5 MB of its resident memory (issue 17, bench/SERVE-RESULTS.md).
import { EC2Client } from '@aws-sdk/client-ec2';
import type { HubConfig } from '../config.js';
import { loadOnce } from '../lazy.js';
import type { Part } from '../model.js';
import type { ChainClients, Credentials, HubClients, HubSession } from './hub.js';
import type { Resolver53, Route53 } from './route53.js';

export interface ChainClientOptions {
  env?: Record<string, string | undefined>;
  hub?: HubConfig;
  requestTimeoutMs?: number;
  connectionTimeoutMs?: number;
  maxAttempts?: number;
  /** Only tests pass it. */
  clock?: () => number;
}

const ROUTE53_REGION = 'us-east-1';

/**
 * The endpoint the environment configures for one service (the SDK's own variables:
 * AWS_ENDPOINT_URL_<SERVICE ID, upper case, spaces as underscores>, then AWS_ENDPOINT_URL;
 * none with AWS_IGNORE_CONFIGURED_ENDPOINT_URLS).
 */
export function serviceEndpoint(
  env: Record<string, string | undefined>,
  serviceId: string,
): string | undefined {
  if (env['AWS_IGNORE_CONFIGURED_ENDPOINT_URLS']?.toLowerCase() === 'true') return undefined;
  const own = `AWS_ENDPOINT_URL_${serviceId.toUpperCase().replace(/ /g, '_')}`;
  return env[own] || env['AWS_ENDPOINT_URL'] || undefined;
}

type Sender = { send(command: unknown, options?: unknown): Promise<unknown> };

/** A client whose module loads, and which is made, on its first call; then kept. */
function onFirstCall<C>(make: () => Promise<Sender>): C {
  const client = loadOnce(make);
  return {
    send: async (command: unknown, options?: unknown) => (await client()).send(command, options),
  } as C;
}

/** The chain's clients for a Region, made once each and kept (the hub session with them). */
export function createChainClientsFactory(
  options: ChainClientOptions = {},
): (region: string) => ChainClients {
  const env = options.env ?? process.env;
  const common = {
    retryMode: 'standard',
    maxAttempts: options.maxAttempts ?? 3,
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? 2_000,
      requestTimeout: options.requestTimeoutMs ?? 5_000,
    },
  } as const;
  const at = (id: string) => {
    const endpoint = serviceEndpoint(env, id);
    return endpoint ? { endpoint } : {};
  };
  const route53 = (credentials?: Credentials) =>
    import('./chain-sdk.js').then(
      ({ Route53Client }) =>
        // Route 53 is global: its API lives in us-east-1 (aws partition) whatever the VPC's Region.
        new Route53Client({
          ...common,
          region: ROUTE53_REGION,
          ...(credentials ? { credentials } : {}),
          ...at('Route 53'),
        }),
    );
  const made = new Map<string, ChainClients>();
  return (region: string) => {
    let clients = made.get(region);
    if (clients) return clients;
    clients = {
      route53: onFirstCall<Route53>(() => route53()),
      resolver: onFirstCall<Resolver53>(() =>
        import('./chain-sdk.js').then(
          ({ Route53ResolverClient }) =>
            new Route53ResolverClient({ ...common, region, ...at('Route53Resolver') }),
        ),
      ),
      ...(options.hub
        ? { hub: lazyHubSession(options.hub, region, common, at, route53, options.clock) }
        : {}),
    };
    made.set(region, clients);
    return clients;
  };
}

/** src/aws/hub.ts createHubSession with real clients, loaded with its modules on the first use. */
function lazyHubSession(
  hub: HubConfig,
  region: string,
  common: object,
  at: (id: string) => { endpoint?: string },
  route53: (credentials?: Credentials) => Promise<Sender>,
  clock?: () => number,
): HubSession {
  const session = loadOnce(async (): Promise<HubSession> => {
    const [{ createHubSession }, { STSClient }] = await Promise.all([
      import('./hub.js'),
      import('./chain-sdk.js'),
    ]);
    return createHubSession(hub, {
      sts: new STSClient({ ...common, region, ...at('STS') }),
      build: (credentials) => ({
        ec2: new EC2Client({ ...common, region, credentials, ...at('EC2') }),
        route53: onFirstCall<Route53>(() => route53(credentials)),
      }),
      ...(clock ? { clock } : {}),
    });
  });
  return {
    async clients(signal): Promise<Part<HubClients>> {
      return (await session()).clients(signal);
    },
  };
}
