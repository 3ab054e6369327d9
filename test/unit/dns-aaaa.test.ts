// AAAA queries (issue 16) against our own responder on real loopback sockets: over IPv4 to
// 127.0.0.1 and over IPv6 to ::1 (as the agent asks fd00:ec2::253 in a VPC), through the one
// rate limiter every query of the agent shares.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Resolver } from '../../src/model.js';
import { queryA, queryAaaa } from '../../src/net/dns.js';
import { RateLimiter } from '../../src/net/rate-limit.js';
import { createProbes } from '../../src/probes.js';
import {
  answerMessage,
  type DnsResponder,
  nodataMessage,
  startDnsResponder,
  truncatedMessage,
} from '../support/dns-responder.js';
import { ipv6LoopbackProblem } from '../support/ipv6-loopback.js';

const NAME = 'secretsmanager.us-east-1.amazonaws.com';
const ENI6 = ['2600:1f18:4e2:ab01::15', '2600:1f18:4e2:ab02::15'];
const skip = ipv6LoopbackProblem();

for (const address of ['127.0.0.1', '::1']) {
  describe(`AAAA queries to a resolver at ${address}`, { skip: address === '::1' ? skip : false }, () => {
    let responder: DnsResponder;
    const resolver: Resolver = { address, source: 'resolv.conf' };
    before(async () => {
      responder = await startDnsResponder(() => [], address);
    });
    after(async () => {
      await responder.close();
    });

    it('asks AAAA, returns the IPv6 addresses in canonical form, and marks the observation AAAA', async () => {
      responder.setHandler((q) =>
        q.type === 'AAAA' ? [answerMessage(q, ['2600:1F18:04E2:AB01:0:0:0:15', ENI6[1]!])] : [],
      );
      const observation = await queryAaaa(resolver, NAME, { timeoutMs: 2000, port: responder.port });
      assert.equal(observation.outcome, 'answer');
      assert.deepEqual(observation.addresses, ENI6);
      assert.equal(observation.recordType, 'AAAA');
      assert.equal(responder.queries.at(-1)!.type, 'AAAA');
    });

    it('reads NODATA for a name the resolver holds with A records only (an IPv4-only endpoint)', async () => {
      responder.setHandler((q) => [q.type === 'AAAA' ? nodataMessage(q) : answerMessage(q, ['10.0.1.5'])]);
      const aaaa = await queryAaaa(resolver, NAME, { timeoutMs: 2000, port: responder.port });
      assert.equal(aaaa.outcome, 'nodata');
      assert.equal(aaaa.detail, 'no AAAA record');
      const a = await queryA(resolver, NAME, { timeoutMs: 2000, port: responder.port });
      assert.deepEqual(a.addresses, ['10.0.1.5']);
      assert.equal('recordType' in a, false, 'an A observation keeps its pre-IPv6 shape');
    });

    it('retries a truncated AAAA answer over TCP', async () => {
      responder.setHandler((q) =>
        q.transport === 'udp' ? [truncatedMessage(q)] : [answerMessage(q, [ENI6[0]!])],
      );
      const observation = await queryAaaa(resolver, NAME, { timeoutMs: 2000, port: responder.port });
      assert.equal(observation.transport, 'tcp');
      assert.deepEqual(observation.addresses, [ENI6[0]]);
    });
  });
}

describe('A and AAAA share the one DNS rate limiter', () => {
  it('makes an AAAA query wait for the same tokens A queries take', async () => {
    const responder = await startDnsResponder((q) => [
      answerMessage(q, q.type === 'AAAA' ? ENI6 : ['10.0.0.9']),
    ]);
    try {
      const limiter = new RateLimiter({ ratePerSecond: 1, burst: 1 });
      const probes = createProbes({ limiter, dnsPort: responder.port });
      const resolver: Resolver = { address: responder.address, source: 'resolv.conf' };
      await probes.queryA(resolver, NAME, { timeoutMs: 2000 });
      // The bucket is empty: an AAAA query through the same probes must wait, and its signal ends the wait.
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const waited = await probes.queryAaaa!(resolver, NAME, { timeoutMs: 2000, signal: controller.signal });
      assert.equal(waited.outcome, 'timeout');
      assert.match(waited.detail ?? '', /rate limiter/);
      assert.equal(responder.queries.length, 1, 'the AAAA query was never sent');
    } finally {
      await responder.close();
    }
  });
});
