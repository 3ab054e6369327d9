// queryA against our own responder on loopback: real UDP and TCP sockets, no mocks.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Resolver } from '../../src/model.js';
import { queryA } from '../../src/net/dns.js';
import {
  answerMessage,
  type DnsResponder,
  hostile,
  nodataMessage,
  rcodeMessage,
  startDnsResponder,
  truncatedMessage,
} from '../support/dns-responder.js';

const NAME = 'secretsmanager.us-east-1.amazonaws.com';
const resolver: Resolver = { address: '127.0.0.1', source: 'resolv.conf' };

describe('queryA', () => {
  let responder: DnsResponder;
  const ask = (options: { timeoutMs?: number; signal?: AbortSignal } = {}) =>
    queryA(resolver, NAME, {
      timeoutMs: options.timeoutMs ?? 2000,
      port: responder.port,
      ...(options.signal ? { signal: options.signal } : {}),
    });

  before(async () => {
    responder = await startDnsResponder();
  });
  after(async () => {
    await responder.close();
  });
  beforeEach(() => {
    responder.queries.length = 0;
    responder.splitTcpWrites = false;
  });

  it('returns the A records of a normal answer, over UDP, with the RD flag set and a timing', async () => {
    responder.setHandler((q) => [answerMessage(q, ['10.0.1.5', '10.0.2.5'])]);
    const observation = await ask();
    assert.equal(observation.outcome, 'answer');
    assert.deepEqual(observation.addresses, ['10.0.1.5', '10.0.2.5']);
    assert.equal(observation.transport, 'udp');
    assert.equal(observation.rcode, 'NOERROR');
    assert.equal(observation.resolver, resolver);
    assert.ok(observation.durationMs >= 0);
    const raw = responder.queries[0]!.raw;
    assert.equal(raw[2]! & 0x01, 0x01, 'RD flag');
  });

  it('follows a CNAME chain in the answer section to the A records of its last name', async () => {
    responder.setHandler((q) => [
      answerMessage(q, ['10.0.3.7'], { cnames: ['a.example.internal', 'b.example.internal'] }),
    ]);
    const observation = await ask();
    assert.equal(observation.outcome, 'answer');
    assert.deepEqual(observation.addresses, ['10.0.3.7']);
    assert.match(observation.detail ?? '', /b\.example\.internal/);
  });

  it('maps NXDOMAIN, SERVFAIL and REFUSED to their outcomes', async () => {
    for (const [rcode, outcome] of [
      ['NXDOMAIN', 'nxdomain'],
      ['SERVFAIL', 'servfail'],
      ['REFUSED', 'refused'],
    ] as const) {
      responder.setHandler((q) => [rcodeMessage(q, rcode)]);
      const observation = await ask();
      assert.equal(observation.outcome, outcome, rcode);
      assert.equal(observation.rcode, rcode);
      assert.deepEqual(observation.addresses, []);
    }
  });

  it('reports NODATA when the name exists without an A record', async () => {
    responder.setHandler((q) => [nodataMessage(q)]);
    const observation = await ask();
    assert.equal(observation.outcome, 'nodata');
  });

  it('times out within the deadline when the resolver stays silent', async () => {
    responder.setHandler(() => []);
    const observation = await ask({ timeoutMs: 150 });
    assert.equal(observation.outcome, 'timeout');
    assert.ok(observation.durationMs < 5000, `took ${observation.durationMs} ms`);
    assert.match(observation.detail ?? '', /150 ms/);
  });

  it('retries over TCP when the UDP answer is truncated and takes the TCP answer', async () => {
    responder.setHandler((q) =>
      q.transport === 'udp' ? [truncatedMessage(q)] : [answerMessage(q, ['10.0.1.9'])],
    );
    const observation = await ask();
    assert.equal(observation.outcome, 'answer');
    assert.equal(observation.transport, 'tcp');
    assert.deepEqual(observation.addresses, ['10.0.1.9']);
    assert.deepEqual(
      responder.queries.map((q) => q.transport),
      ['udp', 'tcp'],
    );
  });

  it('reassembles a TCP answer that arrives in small pieces', async () => {
    responder.splitTcpWrites = true;
    responder.setHandler((q) =>
      q.transport === 'udp'
        ? [truncatedMessage(q)]
        : [answerMessage(q, ['10.0.1.1', '10.0.1.2', '10.0.1.3'])],
    );
    const observation = await ask();
    assert.equal(observation.transport, 'tcp');
    assert.deepEqual(observation.addresses, ['10.0.1.1', '10.0.1.2', '10.0.1.3']);
  });

  it('ignores a spoofed reply with the wrong id that arrives first and takes the right one', async () => {
    responder.setHandler((q) => [hostile.wrongId(q, ['203.0.113.66']), answerMessage(q, ['10.0.1.5'])]);
    const observation = await ask();
    assert.equal(observation.outcome, 'answer');
    assert.deepEqual(observation.addresses, ['10.0.1.5']);
  });

  it('ignores a reply to another question and takes the matching one', async () => {
    responder.setHandler((q) => [hostile.wrongQuestion(q, ['203.0.113.66']), answerMessage(q, ['10.0.1.5'])]);
    const observation = await ask();
    assert.deepEqual(observation.addresses, ['10.0.1.5']);
  });

  it('times out, naming what it ignored, when only non-matching replies arrive', async () => {
    responder.setHandler((q) => [hostile.wrongId(q, ['203.0.113.66']), hostile.empty()]);
    const observation = await ask({ timeoutMs: 200 });
    assert.equal(observation.outcome, 'timeout');
    assert.match(observation.detail ?? '', /ignored 2 message/);
  });

  // Our choice: a message that carries our id but cannot be decoded is the resolver's answer and
  // ends the query as `malformed` at once; a message without our id (or too short to carry one,
  // like an empty datagram) cannot be attributed to the query and is ignored (see the test above).
  it('reports malformed for broken messages that carry our id', async () => {
    const cases = {
      'compression loop': hostile.compressionLoop,
      'oversized answer count': hostile.oversizedCount,
      'cut off mid-record': (q: Parameters<typeof hostile.cutOff>[0]) => hostile.cutOff(q),
      'header only': hostile.headerOnly,
      'header cut off': (q: Parameters<typeof hostile.cutOff>[0]) => hostile.cutOff(q, 7),
    };
    for (const [label, build] of Object.entries(cases)) {
      responder.setHandler((q) => [build(q)]);
      const observation = await ask();
      assert.equal(observation.outcome, 'malformed', label);
      assert.ok((observation.detail ?? '').length > 0, `${label} has a detail`);
    }
  });

  it('returns a timeout naming the abort when the caller aborts mid-query', async () => {
    responder.setHandler(() => []);
    const controller = new AbortController();
    const pending = ask({ timeoutMs: 10_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const observation = await pending;
    assert.equal(observation.outcome, 'timeout');
    assert.match(observation.detail ?? '', /aborted/);
    assert.ok(observation.durationMs < 9000);
  });

  it('survives an abort in the same tick as the query starts', async () => {
    responder.setHandler((q) => [answerMessage(q, ['10.0.1.5'])]);
    const controller = new AbortController();
    const pending = ask({ signal: controller.signal });
    controller.abort();
    const observation = await pending;
    assert.equal(observation.outcome, 'timeout');
    await new Promise((resolve) => setTimeout(resolve, 20));
  });

  it('reports an error (ICMP port unreachable) when nothing listens on the resolver port', async () => {
    const closed = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => closed.bind(0, '127.0.0.1', () => resolve()));
    const port = closed.address().port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const observation = await queryA(resolver, NAME, { timeoutMs: 2000, port });
    assert.equal(observation.outcome, 'error');
    assert.match(observation.detail ?? '', /port unreachable/);
  });

  it('reports an invalid hostname as an error without sending anything', async () => {
    const observation = await queryA(resolver, `${'a'.repeat(64)}.example.com`, {
      timeoutMs: 500,
      port: responder.port,
    });
    assert.equal(observation.outcome, 'error');
    assert.equal(responder.queries.length, 0);
  });

  it('sends each query from a fresh socket with a fresh id', async () => {
    responder.setHandler((q) => [answerMessage(q, ['10.0.1.5'])]);
    await ask();
    await ask();
    await ask();
    const ids = new Set(responder.queries.map((q) => q.id));
    // Three 16-bit random ids collide with probability ~5e-5; a constant id would always fail.
    assert.equal(ids.size, 3);
  });
});
