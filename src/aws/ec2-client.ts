import { EC2Client } from '@aws-sdk/client-ec2';

export interface Ec2ClientOptions {
  /** Defaults to AWS_REGION, then AWS_DEFAULT_REGION (the JS SDK itself reads only AWS_REGION). */
  region?: string;
  /**
   * Leave unset in production: the environment's AWS_ENDPOINT_URL_EC2 or AWS_ENDPOINT_URL is
   * used (an integration test proves it against moto).
   */
  endpoint?: string;
  maxAttempts?: number;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  env?: Record<string, string | undefined>;
}

/**
 * The endpoint the environment configures for EC2, with the SDK's own precedence among
 * variables (AWS_ENDPOINT_URL_EC2, then AWS_ENDPOINT_URL, none when
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true). Read from the environment the caller was given,
 * not only process.env, so a CLI run with an injected environment calls where that says.
 */
export function configuredEndpoint(env: Record<string, string | undefined>): string | undefined {
  if (env['AWS_IGNORE_CONFIGURED_ENDPOINT_URLS']?.toLowerCase() === 'true') return undefined;
  return env['AWS_ENDPOINT_URL_EC2'] || env['AWS_ENDPOINT_URL'] || undefined;
}

/** The EC2 client, created once at the edge and handed to whoever needs it. */
export function createEc2Client(options: Ec2ClientOptions = {}): EC2Client {
  const env = options.env ?? process.env;
  const region = options.region ?? env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'];
  const endpoint = options.endpoint ?? configuredEndpoint(env);
  return new EC2Client({
    ...(region ? { region } : {}),
    ...(endpoint ? { endpoint } : {}),
    // Standard, not adaptive: adaptive mode rate-limits the whole client on one throttle,
    // which a fleet sharing an account's buckets should not do.
    retryMode: 'standard',
    maxAttempts: options.maxAttempts ?? 3,
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? 2_000,
      requestTimeout: options.requestTimeoutMs ?? 5_000,
    },
  });
}

/**
 * One EC2 client per Region, made when first asked for: the Region may be learned only during
 * context discovery (IMDS, config), long after the edge wired the runner.
 */
export function createEc2ClientFactory(
  options: Omit<Ec2ClientOptions, 'region'> = {},
): (region: string) => EC2Client {
  const clients = new Map<string, EC2Client>();
  return (region: string) => {
    let client = clients.get(region);
    if (!client) {
      client = createEc2Client({ ...options, region });
      clients.set(region, client);
    }
    return client;
  };
}
