// observeTarget for centralised endpoints (issue 15), over the recorded hub-and-spoke world and
// recording fake probes: a hub target is probed at the addresses the workload resolves and gets
// the L7 canary once its TLS passed; the targets of the Resolver rule that forwards a name are
// asked directly only when the VPC resolver timed out or failed for it, and only at the
// addresses the rule names.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DnsObservation, Resolver } from '../../src/model.js';
import { createPool, observeTarget, type Probes } from '../../src/probe-plan.js';
import { judgeTarget } from '../../src/runner.js';
import { recordedChain, spokeInput, spokeTarget } from '../fixtures/hub/load.js';

const TIMEOUTS = { dnsMs: 500, tcpMs: 500, tlsMs: 500, httpMs: 700 };
const AWS_BODY =
  '<ErrorResponse><Error><Type>Sender</Type><Code>MissingAuthenticationToken</Code><Message>Request is missing Authentication Token</Message></Error><RequestId>r</RequestId></ErrorResponse>';

interface Recorded {
  queries: Array<{ resolver: string; source: string; hostname: string }>;
  tcp: string[];
  https: string[];
}

/** The VPC resolver answers from `names` (else times out); rule targets answer from `direct`. */
function fakeProbes(
  names: Record<string, string[]>,
  direct: Record<string, DnsObservation['outcome']> = {},
): { probes: Probes; recorded: Recorded } {
  const recorded: Recorded = { queries: [], tcp: [], https: [] };
  const probes: Probes = {
    async queryA(resolver: Resolver, hostname: string): Promise<DnsObservation> {
      recorded.queries.push({ resolver: resolver.address, source: resolver.source, hostname });
      const outcome =
        resolver.source === 'resolver-rule'
          ? (direct[resolver.address] ?? 'timeout')
          : names[hostname]
            ? 'answer'
            : 'timeout';
      return {
        resolver,
        hostname,
        outcome,
        addresses: outcome === 'answer' ? (names[hostname] ?? ['10.0.4.31']) : [],
        transport: 'udp',
        durationMs: 1,
      };
    },
    async probeTcp(address, port) {
      recorded.tcp.push(address);
      return { address, port, outcome: 'connected', durationMs: 1 };
    },
    async probeTls(address, port, servername) {
      return { address, port, servername, outcome: 'ok', certNames: [servername], durationMs: 1 };
    },
    async probeHttps(address, port, hostname, request) {
      recorded.https.push(address);
      return {
        address,
        port,
        hostname,
        method: request.method,
        path: request.path,
        outcome: 'response',
        status: 400,
        headers: { 'x-amzn-requestid': 'r', 'content-type': 'text/xml' },
        body: AWS_BODY,
        bodyBytes: AWS_BODY.length,
        truncated: false,
        durationMs: 1,
      };
    },
  };
  return { probes, recorded };
}

async function observe(service: string, probes: Probes) {
  const chain = await recordedChain();
  const input = spokeInput(spokeTarget(service), chain, { dns: [], tcp: [], tls: [] });
  const observed = await observeTarget(
    input.target,
    input.context,
    input.inventory,
    probes,
    TIMEOUTS,
    new AbortController().signal,
    createPool(8),
  );
  return { ...observed, input };
}

describe('probing a centralised endpoint', () => {
  it('connects to the hub addresses the workload resolves, and runs the canary through the first whose TLS passed', async () => {
    const { probes, recorded } = fakeProbes({
      'secretsmanager.us-east-1.amazonaws.com': ['10.0.4.11', '10.0.5.11'],
    });
    const { target, observations, input } = await observe('secretsmanager', probes);
    assert.deepEqual(recorded.tcp.sort(), ['10.0.4.11', '10.0.5.11']);
    assert.deepEqual(recorded.https, ['10.0.4.11']);
    const report = judgeTarget(target, input.context, input.inventory, observations);
    assert.equal(report.status, 'pass');
    assert.ok(report.findings.some((f) => f.code === 'L7_AWS_OK'));
  });

  it('runs no canary for a private answer no associated zone or rule explains', async () => {
    const { probes, recorded } = fakeProbes({ 'ec2.us-east-1.amazonaws.com': ['10.0.9.9'] });
    await observe('ec2', probes);
    assert.deepEqual(recorded.tcp, ['10.0.9.9']);
    assert.deepEqual(recorded.https, []);
  });

  it("asks the rule's targets directly when the VPC resolver times out for a forwarded name", async () => {
    const { probes, recorded } = fakeProbes({});
    const { target, observations, input } = await observe('sts', probes);
    const direct = recorded.queries.filter((q) => q.source === 'resolver-rule');
    assert.deepEqual(
      direct.map((q) => q.resolver),
      ['10.0.4.53', '10.0.5.53'],
    );
    assert.equal(observations.ruleTargets?.length, 2);
    const report = judgeTarget(target, input.context, input.inventory, observations);
    assert.equal(report.rootCause?.code, 'HUB_RULE_TARGETS_DOWN');
  });

  it('asks no rule target when the VPC resolver answered, nor for a name no associated rule forwards', async () => {
    const answered = fakeProbes({ 'sts.us-east-1.amazonaws.com': ['10.0.4.31'] });
    await observe('sts', answered.probes);
    assert.ok(!answered.recorded.queries.some((q) => q.source === 'resolver-rule'));
    const unforwarded = fakeProbes({});
    const { observations } = await observe('logs', unforwarded.probes);
    assert.ok(
      !unforwarded.recorded.queries.some((q) => q.source === 'resolver-rule'),
      'the logs rule is not associated',
    );
    assert.equal(observations.ruleTargets, undefined);
  });
});
