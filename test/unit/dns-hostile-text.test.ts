// What a resolver (or whoever answers in its place) writes into names reaches the report and an
// on-call engineer's terminal. Replies carrying ESC sequences, from our own responder on loopback,
// must come out escaped; a flood of replies that answer nothing must stay a count.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Resolver } from '../../src/model.js';
import { interpretReply, MAX_IGNORED_REASONS, noteIgnored, presentName, queryA } from '../../src/net/dns.js';
import { answerMessage, type DnsResponder, startDnsResponder } from '../support/dns-responder.js';

const NAME = 'secretsmanager.us-east-1.amazonaws.com';
const resolver: Resolver = { address: '127.0.0.1', source: 'resolv.conf' };
// Clear the screen, set the window title, ring the bell, then a colour: what a hostile label carries.
const ESCAPES = '\u001b[2J\u001b]0;pwned\u0007\u001b[31mred';

const hasControl = (text: string) =>
  [...text].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);

describe('DNS-derived text on its way to a terminal', () => {
  let responder: DnsResponder;
  const ask = (timeoutMs = 2000) => queryA(resolver, NAME, { timeoutMs, port: responder.port });

  before(async () => {
    responder = await startDnsResponder();
  });
  after(async () => {
    await responder.close();
  });

  it('escapes a CNAME target carrying ESC sequences in the answer detail', async () => {
    responder.setHandler((q) => [answerMessage(q, ['10.0.1.5'], { cnames: [`${ESCAPES}.example.com`] })]);
    const observation = await ask();
    assert.equal(observation.outcome, 'answer');
    assert.deepEqual(observation.addresses, ['10.0.1.5']);
    assert.ok(!hasControl(observation.detail ?? ''), JSON.stringify(observation.detail));
    assert.match(
      observation.detail ?? '',
      /via CNAME \\027\[2j\\027\]0;pwned\\007\\027\[31mred\.example\.com/,
    );
  });

  it('escapes the name a CNAME chain ends at without an A record', async () => {
    responder.setHandler((q) => [answerMessage(q, [], { cnames: [`${ESCAPES}.example.com`] })]);
    const observation = await ask();
    assert.equal(observation.outcome, 'nodata');
    assert.ok(!hasControl(observation.detail ?? ''), JSON.stringify(observation.detail));
    assert.match(observation.detail ?? '', /CNAME chain ends at \\027/);
  });

  it('escapes hostile question names in the ignored replies a timeout names, and counts a flood of them', async () => {
    const flood = 40;
    responder.setHandler((q) =>
      Array.from({ length: flood }, (_, i) =>
        answerMessage({ ...q, name: `${ESCAPES}${i}.${q.name}` }, ['203.0.113.66']),
      ),
    );
    const observation = await ask(300);
    assert.equal(observation.outcome, 'timeout');
    const detail = observation.detail ?? '';
    assert.ok(!hasControl(detail), JSON.stringify(detail));
    const ignored = Number(/ignored (\d+) message/.exec(detail)?.[1]);
    // Loopback UDP may drop a datagram under a burst; most arrive.
    assert.ok(ignored > 0 && ignored <= flood, detail);
    assert.match(detail, /question \\027\[2J/);
    assert.ok(detail.length < 2_000, `${detail.length} characters`);
  });

  it('keeps a name that is a name as it is, and writes dots and backslashes inside labels escaped', () => {
    assert.equal(presentName(NAME), NAME);
    assert.equal(presentName('a\\b.c'), 'a\\\\b.c');
    assert.equal(presentName('caf\u00e9.example'), 'caf\\195\\169.example');
  });

  it('a question whose label holds a dot does not pass for the name with two labels', () => {
    // One label "secretsmanager.us-east-1" then amazonaws, com: three labels that print like ours.
    const labels = ['secretsmanager.us-east-1', 'amazonaws', 'com'];
    const question = Buffer.concat([
      ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])),
      Buffer.from([0, 0, 1, 0, 1]),
    ]);
    const header = Buffer.from([0x12, 0x34, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0]);
    const verdict = interpretReply(Buffer.concat([header, question]), { id: 0x1234, name: NAME }, 'udp');
    assert.equal(verdict.action, 'ignore');
    assert.match(verdict.action === 'ignore' ? verdict.reason : '', /secretsmanager\\\.us-east-1\.amazonaws/);
  });

  it('keeps at most MAX_IGNORED_REASONS distinct reasons however many replies are ignored', () => {
    const ignored = { count: 0, reasons: [] as string[] };
    for (let i = 0; i < 10_000; i++) noteIgnored(ignored, `question x${i}.${NAME}/1/1 does not match`);
    assert.equal(ignored.count, 10_000);
    assert.equal(ignored.reasons.length, MAX_IGNORED_REASONS);
    noteIgnored(ignored, 'id does not match');
    assert.equal(ignored.reasons.length, MAX_IGNORED_REASONS);
  });
});
