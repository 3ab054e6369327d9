// A blind agent must not call itself healthy. The real runner and the real app (buildApp +
// inject), with the EC2 API and IMDS on a closed loopback port (127.0.0.1:9, as test/run.sh
// points the SDK): discovery and the inventory fail for real, through the SDK's own errors.
// No target can be built, so nothing may be probed: the probes fail the test if called.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EC2Client } from '@aws-sdk/client-ec2';
import { buildApp } from '../../src/app.js';
import { validateConfig } from '../../src/config.js';
import type { Report } from '../../src/model.js';
import type { Probes } from '../../src/probe-plan.js';
import { createRunner } from '../../src/runner.js';

const CLOSED = 'http://127.0.0.1:9';
const REGION = 'us-east-1';

const probed: string[] = [];
const noProbes: Probes = {
  queryA: async (resolver, hostname) => {
    probed.push(`dns ${hostname} @${resolver.address}`);
    throw new Error('a blind agent has no target to probe');
  },
  probeTcp: async (address) => {
    probed.push(`tcp ${address}`);
    throw new Error('a blind agent has no target to probe');
  },
  probeTls: async (address) => {
    probed.push(`tls ${address}`);
    throw new Error('a blind agent has no target to probe');
  },
};

/** Static credentials and an explicit endpoint: the SDK never looks for either elsewhere (IMDS). */
function closedEc2(region: string): EC2Client {
  return new EC2Client({
    region,
    endpoint: CLOSED,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 1,
  });
}

function blindApp(env: Record<string, string>, context: Record<string, string> = {}) {
  const runner = createRunner({
    ec2For: closedEc2,
    env,
    config: validateConfig({ context, timeouts: { contextMs: 3000, inventoryMs: 3000 } }),
    probes: noProbes,
    version: '0.0.0-test',
  });
  return buildApp({ runner, version: '0.0.0-test' });
}

describe('a blind agent (no EC2 API, no IMDS)', () => {
  it('with only the Region: /health 503 naming why once, the report keeps the Region, nothing probed', async () => {
    const app = blindApp({ AWS_REGION: REGION, AWS_EC2_METADATA_SERVICE_ENDPOINT: CLOSED });
    await app.reports.tick();
    const health = await app.inject('/health');
    assert.equal(health.statusCode, 503, health.body);
    assert.match(
      health.body,
      /^unknown: nothing checked: .*CONTEXT_UNRESOLVED \(missing vpcId, subnetId, privateIp\)\n$/,
    );
    for (const code of health.body.match(/[A-Z][A-Z_]{3,}/g) ?? []) {
      assert.equal(health.body.split(code).length - 1, 1, `${code} once in ${health.body}`);
    }

    const report = (await app.inject({ url: '/report.json' })).json() as Report;
    assert.equal(report.status, 'unknown');
    assert.equal(report.context.region, REGION);
    assert.equal(report.context.sources['region'], 'env');
    const text = (await app.inject('/report.txt')).body;
    assert.match(text, /^vpce-doctor 0\.0\.0-test · context unresolved \(found region us-east-1\)\n/);
    assert.match(text, /\nnothing checked: no targets \(.*CONTEXT_UNRESOLVED.*\) · /);
    assert.doesNotMatch(text, /\(\s*\)|0 passing/);
    const md = (await app.inject('/report.md')).body;
    assert.match(md, /\*\*Nothing checked\*\*: no targets/);
    assert.doesNotMatch(md, /0 failing|\(\s*\)/);
    assert.deepEqual(probed, []);
    await app.close();
  });

  it('with its place configured: every EC2 call refused is one cause, in /health, findings and gaps', async () => {
    const app = blindApp(
      { AWS_REGION: REGION, AWS_EC2_METADATA_SERVICE_ENDPOINT: CLOSED },
      { vpcId: 'vpc-0b11d', subnetId: 'subnet-0b11d', privateIp: '10.0.1.23' },
    );
    await app.reports.tick();
    const health = await app.inject('/health');
    assert.equal(health.statusCode, 503, health.body);
    assert.equal(health.body, 'unknown: nothing checked: AWS_API_ERROR (ECONNREFUSED)\n');

    const report = (await app.inject({ url: '/report.json' })).json() as Report;
    const apiErrors = report.findings.filter((f) => f.code === 'AWS_API_ERROR');
    assert.equal(apiErrors.length, 1, report.findings.map((f) => f.message).join('\n'));
    assert.ok((apiErrors[0]!.evidence['calls'] as string[]).length >= 8, apiErrors[0]!.message);
    const actions = report.inventory.gaps.map((g) => `${g.action} ${g.errorCode}`);
    assert.ok(actions.length >= 8, actions.join(', '));
    assert.deepEqual(actions, [...new Set(actions)], 'each action and error once');
    assert.equal(report.context.availabilityZone, '');
    const text = (await app.inject('/report.txt')).body;
    assert.match(text.split('\n')[0]!, / vpc-0b11d subnet-0b11d \(AZ unknown\) 10\.0\.1\.23 /);
    assert.match(text, /\nnothing checked: no targets \(AWS_API_ERROR\) · /);
    assert.equal(text.split('\n').filter((l) => l.startsWith('? AWS_API_ERROR')).length, 1);
    assert.deepEqual(probed, []);
    await app.close();
  });
});
