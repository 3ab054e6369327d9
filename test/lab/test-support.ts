// Helpers the lab's own tests share: a recorded AwsState to derive answers and rules from, and
// the loop that opens the lab one way at a time and holds the self-check to noticing it.
import assert from 'node:assert/strict';
import { selfCheck } from './network.js';
import { runOk } from './shell.js';
import type { AwsState } from './state.js';

/** An AwsState as configure-moto reports it, with no endpoint unless `overrides` gives them. */
export function labAwsState(overrides: Partial<AwsState> = {}): AwsState {
  return {
    vpcId: 'vpc-1',
    dhcpOptionsId: 'dopt-1',
    dnsSupport: true,
    dnsHostnames: true,
    dhcpDnsServers: ['AmazonProvidedDNS'],
    subnets: {},
    routeTables: { main: 'rtb-main', a: 'rtb-a' },
    securityGroups: {},
    agentEnis: { a: 'eni-a', b: 'eni-b' },
    endpoints: {},
    prefixLists: {},
    gatewayAddresses: { s3: '52.216.0.10', dynamodb: '3.218.182.10' },
    ...overrides,
  };
}

/** A way to open the running lab, how to close it again, and what the self-check must say. */
export interface Opening {
  open: string[];
  close: string[];
  says: RegExp;
}

/** Opens the lab each way in turn; the self-check must name it, and be clean once all are closed. */
export async function assertOpeningsNoticed(openings: Opening[]): Promise<void> {
  for (const { open, close, says } of openings) {
    await runOk(open);
    try {
      const problems = await selfCheck();
      assert.ok(
        problems.some((p) => says.test(p)),
        `after ${open.join(' ')}: ${problems.join('; ')}`,
      );
    } finally {
      await runOk(close);
    }
  }
  assert.deepEqual(await selfCheck(), []);
}
