// 120,000 random and mutated answers through interpretReply, in-process. A seeded PRNG makes a
// failure reproducible: the assertion message carries the seed and the case number.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import type { DnsOutcome } from '../../src/model.js';
import { type DnsQuery, interpretReply } from '../../src/net/dns.js';
import { canonicalIpv6, isIpv6 } from '../../src/net/ip.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed_cafe);
const CASES = 120_000;
const OUTCOMES = new Set<DnsOutcome>([
  'answer',
  'nxdomain',
  'servfail',
  'refused',
  'nodata',
  'timeout',
  'malformed',
  'error',
]);

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const query: DnsQuery = { id: 0x1234, name: 'api.ecr.us-east-1.amazonaws.com' };

function seeds(): Buffer[] {
  const q = { name: query.name, type: 'A' as const, class: 'IN' as const };
  const base = { type: 'response' as const, id: query.id, flags: 0x0180, questions: [q] };
  return [
    dnsPacket.encode({
      ...base,
      answers: [
        { type: 'CNAME', name: query.name, ttl: 60, data: 'x.ecr.internal' },
        { type: 'A', name: 'x.ecr.internal', ttl: 60, data: '10.0.1.5' },
        { type: 'A', name: 'x.ecr.internal', ttl: 60, data: '10.0.2.5' },
      ],
    }),
    dnsPacket.encode({ ...base, answers: [{ type: 'A', name: query.name, ttl: 60, data: '52.94.1.1' }] }),
    dnsPacket.encode({
      ...base,
      flags: 0x0183,
      authorities: [
        {
          type: 'SOA',
          name: 'amazonaws.com',
          ttl: 60,
          data: { mname: 'ns.amazonaws.com', rname: 'hostmaster.amazonaws.com' },
        },
      ],
    }),
    dnsPacket.encode({ ...base, flags: 0x0380 }),
    dnsPacket.encode({
      ...base,
      answers: [{ type: 'A', name: query.name, ttl: 60, data: '10.0.1.5' }],
      additionals: [
        {
          type: 'OPT',
          name: '.',
          udpPayloadSize: 1232,
          extendedRcode: 0,
          ednsVersion: 0,
          flags: 0,
          flag_do: false,
          options: [],
        },
      ],
    }),
  ];
}

function mutate(seed: Buffer, random: () => number): Buffer {
  const int = (n: number) => Math.floor(random() * n);
  const bytes = Buffer.from(seed);
  switch (int(6)) {
    case 0: {
      const flips = 1 + int(8);
      for (let i = 0; i < flips; i++) {
        const at = int(bytes.length);
        bytes[at] = bytes[at]! ^ (1 << int(8));
      }
      return bytes;
    }
    case 1:
      return bytes.subarray(0, int(bytes.length + 1));
    case 2: {
      bytes.writeUInt16BE(int(0x10000), 4 + 2 * int(4));
      return bytes;
    }
    case 3: {
      // Pointer bytes: 0xc0 followed by an arbitrary offset, anywhere after the header.
      const at = 12 + int(Math.max(1, bytes.length - 13));
      bytes[at] = 0xc0 | int(0x40);
      if (at + 1 < bytes.length) bytes[at + 1] = int(256);
      return bytes;
    }
    case 4: {
      const extra = Buffer.alloc(int(64));
      for (let i = 0; i < extra.length; i++) extra[i] = int(256);
      return Buffer.concat([bytes, extra]);
    }
    default: {
      // Random bytes, with our id half of the time so that the deeper paths run.
      const random_ = Buffer.alloc(int(600));
      for (let i = 0; i < random_.length; i++) random_[i] = int(256);
      if (random_.length >= 2 && random() < 0.5) random_.writeUInt16BE(query.id, 0);
      return random_;
    }
  }
}

describe('interpretReply under fuzzing', () => {
  it(`never throws and always returns a valid verdict for ${CASES} random and mutated messages (seed ${SEED})`, () => {
    const random = prng(SEED);
    const corpus = seeds();
    const seen = new Map<string, number>();
    for (let i = 0; i < CASES; i++) {
      const message = mutate(corpus[i % corpus.length]!, random);
      const context = `seed ${SEED} case ${i} bytes ${message.toString('hex')}`;
      let verdict: ReturnType<typeof interpretReply>;
      try {
        verdict = interpretReply(message, query, i % 2 === 0 ? 'udp' : 'tcp');
      } catch (err) {
        assert.fail(`threw ${String(err)} for ${context}`);
      }
      const key = verdict.action === 'final' ? verdict.outcome : verdict.action;
      seen.set(key, (seen.get(key) ?? 0) + 1);
      if (verdict.action !== 'final') continue;
      assert.ok(OUTCOMES.has(verdict.outcome), context);
      assert.ok(Array.isArray(verdict.addresses), context);
      for (const address of verdict.addresses) assert.match(address, /^\d{1,3}(\.\d{1,3}){3}$/, context);
      assert.equal(verdict.outcome === 'answer', verdict.addresses.length > 0, context);
    }
    // The mutations must reach past the id check into real decoding, or the fuzz proves little.
    for (const key of ['answer', 'malformed', 'ignore', 'retry-tcp', 'nxdomain']) {
      assert.ok(
        (seen.get(key) ?? 0) > 0,
        `no case ended as ${key}: ${JSON.stringify(Object.fromEntries(seen))}`,
      );
    }
  });

  it('does not take an answer whose addresses belong to a name outside the CNAME chain', () => {
    const message = dnsPacket.encode({
      type: 'response',
      id: query.id,
      flags: 0x0180,
      questions: [{ name: query.name, type: 'A', class: 'IN' }],
      answers: [{ type: 'A', name: 'attacker.example', ttl: 60, data: '203.0.113.9' }],
    });
    const verdict = interpretReply(message, query, 'udp');
    assert.equal(verdict.action === 'final' && verdict.outcome, 'nodata');
  });
});

// The same fuzzing for AAAA queries (issue 16): AAAA answers, CNAME chains to AAAA records, and
// A records mixed in (an A record is never taken as an answer to an AAAA question).
const query6: DnsQuery = { id: 0x4321, name: 'secretsmanager.us-east-1.amazonaws.com', type: 'AAAA' };
const CASES_AAAA = 60_000;

function seedsAaaa(): Buffer[] {
  const q = { name: query6.name, type: 'AAAA' as const, class: 'IN' as const };
  const base = { type: 'response' as const, id: query6.id, flags: 0x0180, questions: [q] };
  return [
    dnsPacket.encode({
      ...base,
      answers: [
        { type: 'CNAME', name: query6.name, ttl: 60, data: 'vpce-1.secretsmanager.internal' },
        { type: 'AAAA', name: 'vpce-1.secretsmanager.internal', ttl: 60, data: '2600:1f18:4e2:ab01::15' },
        { type: 'AAAA', name: 'vpce-1.secretsmanager.internal', ttl: 60, data: '2600:1f18:4e2:ab02::15' },
      ],
    }),
    dnsPacket.encode({
      ...base,
      answers: [
        { type: 'A', name: query6.name, ttl: 60, data: '10.0.1.5' },
        { type: 'AAAA', name: query6.name, ttl: 60, data: '2600:1f18:0:0:0:0:0:5' },
      ],
    }),
    // NODATA: the private zone has the name with A records only (an IPv4-only endpoint)
    dnsPacket.encode({
      ...base,
      authorities: [
        {
          type: 'SOA',
          name: 'amazonaws.com',
          ttl: 60,
          data: { mname: 'ns.amazonaws.com', rname: 'hostmaster.amazonaws.com' },
        },
      ],
    }),
    dnsPacket.encode({ ...base, flags: 0x0380 }),
  ];
}

describe('interpretReply under fuzzing, AAAA queries', () => {
  it(`never throws and only ever takes canonical IPv6 addresses for ${CASES_AAAA} messages (seed ${SEED})`, () => {
    const random = prng(SEED ^ 0x6666);
    const corpus = seedsAaaa();
    const seen = new Map<string, number>();
    for (let i = 0; i < CASES_AAAA; i++) {
      const message = mutate(corpus[i % corpus.length]!, random);
      const context = `seed ${SEED} AAAA case ${i} bytes ${message.toString('hex')}`;
      let verdict: ReturnType<typeof interpretReply>;
      try {
        verdict = interpretReply(message, query6, i % 2 === 0 ? 'udp' : 'tcp');
      } catch (err) {
        assert.fail(`threw ${String(err)} for ${context}`);
      }
      const key = verdict.action === 'final' ? verdict.outcome : verdict.action;
      seen.set(key, (seen.get(key) ?? 0) + 1);
      if (verdict.action !== 'final') continue;
      assert.ok(OUTCOMES.has(verdict.outcome), context);
      for (const address of verdict.addresses) {
        assert.ok(isIpv6(address), context);
        assert.equal(canonicalIpv6(address), address, context);
      }
      assert.equal(verdict.outcome === 'answer', verdict.addresses.length > 0, context);
    }
    for (const key of ['answer', 'malformed', 'ignore', 'retry-tcp', 'nodata']) {
      assert.ok(
        (seen.get(key) ?? 0) > 0,
        `no AAAA case ended as ${key}: ${JSON.stringify(Object.fromEntries(seen))}`,
      );
    }
  });

  it('takes the AAAA records of the question name in canonical form, and not the A records beside them', () => {
    const verdict = interpretReply(seedsAaaa()[1]!, query6, 'udp');
    assert.deepEqual(verdict, {
      action: 'final',
      outcome: 'answer',
      addresses: ['2600:1f18::5'],
      rcode: 'NOERROR',
    });
  });

  it('answers NODATA for a name with A records only', () => {
    const message = dnsPacket.encode({
      type: 'response',
      id: query6.id,
      flags: 0x0180,
      questions: [{ name: query6.name, type: 'AAAA', class: 'IN' }],
      answers: [{ type: 'A', name: query6.name, ttl: 60, data: '10.0.1.5' }],
    });
    const verdict = interpretReply(message, query6, 'udp');
    assert.equal(verdict.action === 'final' && verdict.outcome, 'nodata');
    assert.equal(verdict.action === 'final' && verdict.detail, 'no AAAA record');
  });

  it('ignores an A answer to the AAAA question and an AAAA answer to the A question (the question must match)', () => {
    const aAnswer = seeds()[1]!;
    assert.equal(
      interpretReply(aAnswer, { ...query6, id: query.id, name: query.name }, 'udp').action,
      'ignore',
    );
    const aaaaAnswer = seedsAaaa()[1]!;
    assert.equal(interpretReply(aaaaAnswer, { id: query6.id, name: query6.name }, 'udp').action, 'ignore');
  });

  it('rejects an AAAA record whose data is not 16 bytes as malformed', () => {
    const message = Buffer.from(seedsAaaa()[1]!);
    // The last record is the AAAA one: shorten its RDLENGTH from 16 to 4 and cut the message.
    const rdlengthAt = message.length - 16 - 2;
    message.writeUInt16BE(4, rdlengthAt);
    const verdict = interpretReply(message.subarray(0, rdlengthAt + 2 + 4), query6, 'udp');
    assert.equal(verdict.action === 'final' && verdict.outcome, 'malformed');
  });
});
