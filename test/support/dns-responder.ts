// Our own DNS responder on loopback (UDP and TCP on one port), programmable per query: each
// query is handed to a handler that returns the raw messages to send back, in order — normal
// answers, error rcodes, silence, truncation, or hostile bytes built with the helpers below.
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';

export interface ReceivedQuery {
  id: number;
  name: string;
  type: string;
  transport: 'udp' | 'tcp';
  /** The query exactly as received (without the TCP length prefix). */
  raw: Buffer;
}

/** The messages to send back, in order; an empty list is silence. */
export type Handler = (query: ReceivedQuery) => Buffer[];

export interface DnsResponder {
  address: string;
  port: number;
  queries: ReceivedQuery[];
  setHandler(handler: Handler): void;
  /** TCP replies are written in small pieces with pauses, to exercise the client's reassembly. */
  splitTcpWrites: boolean;
  close(): Promise<void>;
}

const RD_RA = dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE;
const RCODES = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

function question(query: ReceivedQuery): dnsPacket.Question {
  return { name: query.name, type: query.type === 'AAAA' ? 'AAAA' : 'A', class: 'IN' };
}

/** A NOERROR answer: optional CNAME chain from the query name, then A (or, for IPv6 addresses, AAAA) records on the last name. */
export function answerMessage(
  query: ReceivedQuery,
  addresses: string[],
  options: { cnames?: string[]; id?: number } = {},
): Buffer {
  const answers: dnsPacket.Answer[] = [];
  let owner = query.name;
  for (const alias of options.cnames ?? []) {
    answers.push({ type: 'CNAME', name: owner, ttl: 60, class: 'IN', data: alias });
    owner = alias;
  }
  for (const address of addresses)
    answers.push({
      type: net.isIPv6(address) ? 'AAAA' : 'A',
      name: owner,
      ttl: 60,
      class: 'IN',
      data: address,
    });
  return dnsPacket.encode({
    type: 'response',
    id: options.id ?? query.id,
    flags: RD_RA,
    questions: [question(query)],
    answers,
  });
}

export function rcodeMessage(query: ReceivedQuery, rcode: keyof typeof RCODES): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id: query.id,
    flags: RD_RA | RCODES[rcode],
    questions: [question(query)],
  });
}

/** NOERROR with an empty answer section (the name exists, without an A record). */
export function nodataMessage(query: ReceivedQuery): Buffer {
  return dnsPacket.encode({ type: 'response', id: query.id, flags: RD_RA, questions: [question(query)] });
}

/** The TC flag with no answers, as a resolver sends when the answer does not fit a UDP message. */
export function truncatedMessage(query: ReceivedQuery): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id: query.id,
    flags: RD_RA | dnsPacket.TRUNCATED_RESPONSE,
    questions: [question(query)],
  });
}

/** Hostile and broken messages. Each keeps the query's id unless the point is a wrong id. */
export const hostile = {
  wrongId(query: ReceivedQuery, addresses: string[]): Buffer {
    return answerMessage(query, addresses, { id: (query.id + 1) & 0xffff });
  },
  wrongQuestion(query: ReceivedQuery, addresses: string[]): Buffer {
    return answerMessage({ ...query, name: `evil.${query.name}` }, addresses);
  },
  /** An answer whose owner name is a compression pointer to itself. */
  compressionLoop(query: ReceivedQuery): Buffer {
    const questionBytes = query.raw.subarray(12);
    const header = Buffer.from([query.id >> 8, query.id & 0xff, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]);
    const at = 12 + questionBytes.length;
    const record = Buffer.from([0xc0 | (at >> 8), at & 0xff, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1]);
    return Buffer.concat([header, questionBytes, record]);
  },
  /** A valid answer whose answer count claims 65535 records. */
  oversizedCount(query: ReceivedQuery): Buffer {
    const message = Buffer.from(answerMessage(query, ['10.0.0.1']));
    message.writeUInt16BE(0xffff, 6);
    return message;
  },
  /** A valid answer cut off after `keep` bytes (default: half). */
  cutOff(query: ReceivedQuery, keep?: number): Buffer {
    const message = answerMessage(query, ['10.0.0.1', '10.0.0.2']);
    return message.subarray(0, keep ?? Math.floor(message.length / 2));
  },
  /** Only the 12-byte header, with our id and one question announced. */
  headerOnly(query: ReceivedQuery): Buffer {
    return Buffer.from([query.id >> 8, query.id & 0xff, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]);
  },
  empty(): Buffer {
    return Buffer.alloc(0);
  },
};

function decodeQuery(raw: Buffer, transport: 'udp' | 'tcp'): ReceivedQuery | undefined {
  try {
    const packet = dnsPacket.decode(raw);
    const first = packet.questions?.[0];
    if (!first) return undefined;
    return { id: packet.id ?? 0, name: first.name, type: first.type, transport, raw: Buffer.from(raw) };
  } catch {
    return undefined;
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Binds UDP and TCP to the same free loopback port; retries when another process holds the TCP side. */
async function bindPair(address: string): Promise<{ udp: dgram.Socket; tcp: net.Server }> {
  for (let attempt = 0; ; attempt++) {
    const udp = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(0, address, () => resolve());
    });
    const tcp = net.createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(udp.address().port, address, () => resolve());
      });
      return { udp, tcp };
    } catch (err) {
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      if (attempt >= 20) throw err;
    }
  }
}

/** Starts the responder on 127.0.0.1 (or `address`, e.g. ::1), UDP and TCP on the same free port. */
export async function startDnsResponder(
  handler: Handler = () => [],
  address = '127.0.0.1',
): Promise<DnsResponder> {
  let current = handler;
  const queries: ReceivedQuery[] = [];
  const sockets = new Set<net.Socket>();
  const { udp, tcp } = await bindPair(address);
  const port = udp.address().port;
  udp.on('message', (raw, peer) => {
    const query = decodeQuery(raw, 'udp');
    if (!query) return;
    queries.push(query);
    for (const message of current(query)) udp.send(message, peer.port, peer.address);
  });

  const responder: DnsResponder = {
    address,
    port,
    queries,
    splitTcpWrites: false,
    setHandler(next) {
      current = next;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await Promise.all([
        new Promise<void>((resolve) => udp.close(() => resolve())),
        new Promise<void>((resolve) => tcp.close(() => resolve())),
      ]);
    },
  };

  tcp.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffered = Buffer.alloc(0);
    socket.on('data', async (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const raw = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
        buffered = buffered.subarray(2 + raw.length);
        const query = decodeQuery(raw, 'tcp');
        if (!query) continue;
        queries.push(query);
        for (const message of current(query)) {
          const frame = Buffer.alloc(2 + message.length);
          frame.writeUInt16BE(message.length, 0);
          message.copy(frame, 2);
          if (!responder.splitTcpWrites) {
            socket.write(frame);
            continue;
          }
          for (let at = 0; at < frame.length; at += 7) {
            socket.write(frame.subarray(at, at + 7));
            await pause(2);
          }
        }
      }
    });
  });
  return responder;
}
