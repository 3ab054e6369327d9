// Raw DNS A queries with dns-packet, so the agent sees exactly what one resolver answered:
// UDP from a fresh socket (random source port) with a random id, TCP when the answer is
// truncated, and only an answer whose id and question match ours is taken.
import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type Answer, type DecodedPacket, type StringAnswer } from 'dns-packet';
import type { DnsObservation, DnsOutcome, Resolver } from '../model.js';
import { armDeadline, elapsedMs } from './deadline.js';
import { classifyNetworkError } from './errors.js';
import { canonicalIpv6 } from './ip.js';
import type { RateLimiter } from './rate-limit.js';

/** An A answer for one name never needs more; a cap also bounds the work hostile bytes can cause. */
export const MAX_DNS_MESSAGE_BYTES = 16_384;
const MAX_CNAME_HOPS = 16;
const MAX_POINTER_JUMPS = 64;
/** Distinct reasons kept for messages that did not answer a query; the rest are only counted. */
export const MAX_IGNORED_REASONS = 8;
const TYPE_A = 1;
const TYPE_CNAME = 5;
const TYPE_AAAA = 28;
/** The address record types the agent asks for, with their type numbers and data lengths. */
const ADDRESS_TYPES = { A: { code: TYPE_A, bytes: 4 }, AAAA: { code: TYPE_AAAA, bytes: 16 } } as const;
export type AddressType = keyof typeof ADDRESS_TYPES;
const CLASS_IN = 1;

export interface DnsQuery {
  id: number;
  /** Lower case, without the trailing dot. */
  name: string;
  /** The record type asked for; A when absent. */
  type?: AddressType;
}

/** What one received message means for the query it may answer. */
export type ReplyVerdict =
  | { action: 'ignore'; reason: string }
  | { action: 'retry-tcp' }
  | { action: 'final'; outcome: DnsOutcome; addresses: string[]; rcode?: string; detail?: string };

export interface QueryOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Default 53; tests point it at a loopback responder. */
  port?: number;
  limiter?: RateLimiter;
}

const RCODE_NAMES: Record<number, string> = {
  0: 'NOERROR',
  1: 'FORMERR',
  2: 'SERVFAIL',
  3: 'NXDOMAIN',
  4: 'NOTIMP',
  5: 'REFUSED',
  6: 'YXDOMAIN',
  7: 'YXRRSET',
  8: 'NXRRSET',
  9: 'NOTAUTH',
  10: 'NOTZONE',
  16: 'BADVERS',
};

/**
 * A label's bytes in DNS presentation form (RFC 1035 §5.1): printable ASCII as is, `.` and `\`
 * escaped, every other byte as `\DDD`. Names come from whoever answered the query and end up in
 * messages printed on a terminal: an ESC byte must not reach it as one.
 */
function presentLabel(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) {
    if (byte === 0x2e || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`;
    else if (byte > 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\${byte.toString().padStart(3, '0')}`;
  }
  return out;
}

/** A name dns-packet decoded (labels as UTF-8, joined with dots) in presentation form. */
export function presentName(name: string): string {
  return name
    .split('.')
    .map((label) => presentLabel(Buffer.from(label, 'utf8')))
    .join('.');
}

function rcodeName(rcode: number): string {
  return RCODE_NAMES[rcode] ?? `RCODE${rcode}`;
}

/** Why a hostname cannot be queried, or undefined when it can. */
export function hostnameProblem(hostname: string): string | undefined {
  const name = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
  if (name.length === 0 || name.length > 253) return `hostname length ${name.length} is outside 1..253`;
  for (const label of name.split('.')) {
    if (label.length === 0 || label.length > 63)
      return `hostname "${name}" has a label outside 1..63 characters`;
    if (!/^[A-Za-z0-9_*-]+$/.test(label))
      return `hostname "${name}" has a label with characters DNS names do not carry`;
  }
  return undefined;
}

export function encodeQuery(query: DnsQuery): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id: query.id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: query.type ?? 'A', class: 'IN', name: query.name }],
  });
}

interface NameRead {
  name: string;
  next: number;
}

/**
 * Reads a (possibly compressed) name at `start`. Pointers may only go backwards from where the
 * current run of labels began — so loops are impossible — and at most MAX_POINTER_JUMPS times.
 */
function readName(buf: Buffer, start: number): NameRead | string {
  const labels: string[] = [];
  let offset = start;
  let runStart = start;
  let next: number | undefined;
  let jumps = 0;
  let length = 0;
  for (;;) {
    if (offset >= buf.length) return 'name runs past the end of the message';
    const len = buf[offset]!;
    if (len === 0) {
      next ??= offset + 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (offset + 1 >= buf.length) return 'compression pointer cut off';
      const target = ((len & 0x3f) << 8) | buf[offset + 1]!;
      if (target >= runStart) return `compression pointer to ${target} does not point backwards`;
      if (++jumps > MAX_POINTER_JUMPS) return 'too many compression pointers';
      next ??= offset + 2;
      offset = target;
      runStart = target;
      continue;
    }
    if (kind !== 0) return `unsupported label type 0x${len.toString(16)}`;
    if (offset + 1 + len > buf.length) return 'label runs past the end of the message';
    length += len + 1;
    if (length > 255) return 'name longer than 255 bytes';
    labels.push(presentLabel(buf.subarray(offset + 1, offset + 1 + len)));
    offset += 1 + len;
  }
  return { name: labels.join('.'), next };
}

/**
 * Walks the whole message before dns-packet decodes it: every section fits the message, A records
 * carry 4 bytes, CNAME data is exactly one name. Returns a problem or undefined.
 */
function validateStructure(buf: Buffer): string | undefined {
  const counts = [
    buf.readUInt16BE(4),
    buf.readUInt16BE(6),
    buf.readUInt16BE(8),
    buf.readUInt16BE(10),
  ] as const;
  let offset = 12;
  for (let i = 0; i < counts[0]; i++) {
    const read = readName(buf, offset);
    if (typeof read === 'string') return `question ${i + 1}: ${read}`;
    if (read.next + 4 > buf.length) return `question ${i + 1} cut off`;
    offset = read.next + 4;
  }
  const records = counts[1] + counts[2] + counts[3];
  for (let i = 0; i < records; i++) {
    const read = readName(buf, offset);
    if (typeof read === 'string') return `record ${i + 1}: ${read}`;
    if (read.next + 10 > buf.length) return `record ${i + 1} header cut off (counts say ${records} records)`;
    const type = buf.readUInt16BE(read.next);
    const klass = buf.readUInt16BE(read.next + 2) & 0x7fff;
    const rdlength = buf.readUInt16BE(read.next + 8);
    const rdata = read.next + 10;
    if (rdata + rdlength > buf.length) return `record ${i + 1} data cut off`;
    if (type === TYPE_A && klass === CLASS_IN && rdlength !== 4)
      return `A record ${i + 1} has ${rdlength} data bytes`;
    if (type === TYPE_AAAA && klass === CLASS_IN && rdlength !== 16)
      return `AAAA record ${i + 1} has ${rdlength} data bytes`;
    if (type === TYPE_CNAME) {
      const target = readName(buf, rdata);
      if (typeof target === 'string') return `CNAME record ${i + 1}: ${target}`;
      if (target.next !== rdata + rdlength)
        return `CNAME record ${i + 1} data length does not match its name`;
    }
    offset = rdata + rdlength;
  }
  return undefined;
}

function malformed(detail: string, rcode?: string): ReplyVerdict {
  return { action: 'final', outcome: 'malformed', addresses: [], detail, ...(rcode ? { rcode } : {}) };
}

/** The A (or AAAA) addresses for `name`, following CNAMEs in the answer section; a string is a problem. */
function followChain(
  answers: Answer[],
  name: string,
  type: AddressType = 'A',
): { addresses: string[]; finalName: string } | string {
  const byName = new Map<string, Answer[]>();
  for (const answer of answers) {
    if (answer.type !== type && answer.type !== 'CNAME') continue;
    if ('class' in answer && answer.class !== undefined && answer.class !== 'IN') continue;
    const key = presentName(answer.name).toLowerCase();
    byName.set(key, [...(byName.get(key) ?? []), answer]);
  }
  const seen = new Set<string>();
  let current = name;
  for (let hop = 0; hop <= MAX_CNAME_HOPS; hop++) {
    if (seen.has(current)) return `CNAME loop at ${current}`;
    seen.add(current);
    const records = byName.get(current) ?? [];
    const addresses: string[] = [];
    for (const record of records) {
      if (record.type !== type) continue;
      if (type === 'AAAA') {
        // One address has many spellings; the canonical one (RFC 5952) compares with the ENIs'.
        const canonical = typeof record.data === 'string' ? canonicalIpv6(record.data) : undefined;
        if (canonical === undefined) return `AAAA record for ${current} is not an IPv6 address`;
        addresses.push(canonical);
        continue;
      }
      if (typeof record.data !== 'string' || !net.isIPv4(record.data))
        return `A record for ${current} is not an IPv4 address`;
      addresses.push(record.data);
    }
    if (addresses.length > 0) return { addresses: [...new Set(addresses)], finalName: current };
    const alias = records.find((r): r is StringAnswer => r.type === 'CNAME');
    if (!alias) return { addresses: [], finalName: current };
    if (typeof alias.data !== 'string') return `CNAME for ${current} has no target`;
    current = presentName(alias.data.replace(/\.$/, '')).toLowerCase();
  }
  return `CNAME chain longer than ${MAX_CNAME_HOPS}`;
}

/**
 * Decides what one received message means for `query`. Pure, never throws: messages that are not
 * ours (wrong id, wrong question, not a response) are ignored so a spoofed or stale reply cannot
 * be taken; ours that cannot be decoded are `malformed`.
 */
export function interpretReply(bytes: Buffer, query: DnsQuery, transport: 'udp' | 'tcp'): ReplyVerdict {
  try {
    if (bytes.length < 2) return { action: 'ignore', reason: `${bytes.length}-byte message has no id` };
    if (bytes.readUInt16BE(0) !== query.id) return { action: 'ignore', reason: 'id does not match' };
    if (bytes.length < 12) return malformed(`header cut off at ${bytes.length} bytes`);
    if (bytes.length > MAX_DNS_MESSAGE_BYTES)
      return malformed(`${bytes.length}-byte message exceeds ${MAX_DNS_MESSAGE_BYTES}`);
    const flags = bytes.readUInt16BE(2);
    if ((flags & 0x8000) === 0) return { action: 'ignore', reason: 'not a response (QR bit clear)' };
    const opcode = (flags >> 11) & 0xf;
    const headerRcode = flags & 0xf;
    const questionCount = bytes.readUInt16BE(4);
    if (questionCount === 0 && headerRcode !== 0) {
      // Servers answering FORMERR/NOTIMP/REFUSED may omit the question; the id is all we can match.
      const rcode = rcodeName(headerRcode);
      return headerRcode === 5
        ? { action: 'final', outcome: 'refused', addresses: [], rcode }
        : {
            action: 'final',
            outcome: headerRcode === 2 ? 'servfail' : 'error',
            addresses: [],
            rcode,
            detail: `${rcode} without a question section`,
          };
    }
    if (questionCount !== 1) return malformed(`response carries ${questionCount} questions`);
    const question = readName(bytes, 12);
    if (typeof question === 'string') return malformed(`question: ${question}`);
    if (question.next + 4 > bytes.length) return malformed('question cut off');
    const qtype = bytes.readUInt16BE(question.next);
    const qclass = bytes.readUInt16BE(question.next + 2);
    const type = query.type ?? 'A';
    if (
      question.name.toLowerCase() !== query.name ||
      qtype !== ADDRESS_TYPES[type].code ||
      qclass !== CLASS_IN
    ) {
      return { action: 'ignore', reason: `question ${question.name}/${qtype}/${qclass} does not match` };
    }
    if (opcode !== 0) return malformed(`response opcode ${opcode} is not QUERY`);
    if ((flags & 0x0200) !== 0 && transport === 'udp') return { action: 'retry-tcp' };

    const problem = validateStructure(bytes);
    if (problem) return malformed(problem, rcodeName(headerRcode));
    let packet: DecodedPacket;
    try {
      packet = dnsPacket.decode(bytes);
    } catch (err) {
      return malformed(
        `undecodable: ${err instanceof Error ? err.message : String(err)}`,
        rcodeName(headerRcode),
      );
    }
    const opt = (packet.additionals ?? []).find((a) => a.type === 'OPT');
    const extended = opt && 'extendedRcode' in opt ? opt.extendedRcode : 0;
    const rcodeValue = (extended << 4) | headerRcode;
    const rcode = rcodeName(rcodeValue);
    switch (rcodeValue) {
      case 0:
        break;
      case 2:
        return { action: 'final', outcome: 'servfail', addresses: [], rcode };
      case 3:
        return { action: 'final', outcome: 'nxdomain', addresses: [], rcode };
      case 5:
        return { action: 'final', outcome: 'refused', addresses: [], rcode };
      default:
        return {
          action: 'final',
          outcome: 'error',
          addresses: [],
          rcode,
          detail: `resolver answered ${rcode}`,
        };
    }
    const chain = followChain(packet.answers ?? [], query.name, type);
    if (typeof chain === 'string') return malformed(chain, rcode);
    if (chain.addresses.length === 0) {
      const detail =
        chain.finalName === query.name
          ? `no ${type} record`
          : `CNAME chain ends at ${chain.finalName} without an ${type} record`;
      return { action: 'final', outcome: 'nodata', addresses: [], rcode, detail };
    }
    const detail = chain.finalName === query.name ? undefined : `via CNAME ${chain.finalName}`;
    return {
      action: 'final',
      outcome: 'answer',
      addresses: chain.addresses,
      rcode,
      ...(detail ? { detail } : {}),
    };
  } catch (err) {
    // Every read above is bounds-checked; this only guards against a mistake turning hostile bytes into a crash.
    return malformed(`unexpected decode failure: ${err instanceof Error ? err.message : String(err)}`);
  }
}

type Final = Extract<ReplyVerdict, { action: 'final' }> & { transport: 'udp' | 'tcp' };

interface Exchange {
  address: string;
  port: number;
  query: DnsQuery;
  bytes: Buffer;
  signal: AbortSignal;
  ignored: Ignored;
}

/** Messages that did not answer the query: all counted, a few distinct reasons kept (a flood is bounded). */
export interface Ignored {
  count: number;
  reasons: string[];
}

export function noteIgnored(ignored: Ignored, reason: string): void {
  ignored.count += 1;
  if (ignored.reasons.length < MAX_IGNORED_REASONS && !ignored.reasons.includes(reason)) {
    ignored.reasons.push(reason);
  }
}

function failed(err: unknown, transport: 'udp' | 'tcp', what: string): Final {
  const error = classifyNetworkError(err);
  const detail =
    error.kind === 'refused' && transport === 'udp'
      ? `ICMP port unreachable from the resolver (${error.code})`
      : `${what}: ${error.code} ${error.message}`;
  return { action: 'final', outcome: 'error', addresses: [], detail, transport };
}

/** Resolves with a final verdict, 'truncated', or undefined when the signal fired first. */
function exchangeUdp(ex: Exchange): Promise<Final | 'truncated' | undefined> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket({ type: net.isIPv6(ex.address) ? 'udp6' : 'udp4' });
    let done = false;
    const finish = (result: Final | 'truncated' | undefined) => {
      if (done) return;
      done = true;
      ex.signal.removeEventListener('abort', onAbort);
      socket.close();
      resolve(result);
    };
    const onAbort = () => finish(undefined);
    if (ex.signal.aborted) {
      done = true;
      socket.close();
      resolve(undefined);
      return;
    }
    ex.signal.addEventListener('abort', onAbort, { once: true });
    socket.on('error', (err) => finish(failed(err, 'udp', 'UDP')));
    socket.on('message', (message) => {
      const verdict = interpretReply(message, ex.query, 'udp');
      if (verdict.action === 'ignore') noteIgnored(ex.ignored, verdict.reason);
      else if (verdict.action === 'retry-tcp') finish('truncated');
      else finish({ ...verdict, transport: 'udp' });
    });
    // A connected socket: the kernel delivers only datagrams from the resolver's address and port,
    // and reports ICMP port unreachable as ECONNREFUSED.
    socket.connect(ex.port, ex.address, () => {
      if (done) return;
      socket.send(ex.bytes, (err) => {
        if (err) finish(failed(err, 'udp', 'UDP send'));
      });
    });
  });
}

function exchangeTcp(ex: Exchange): Promise<Final | undefined> {
  return new Promise((resolve) => {
    if (ex.signal.aborted) {
      resolve(undefined);
      return;
    }
    const socket = net.connect({ host: ex.address, port: ex.port });
    let done = false;
    let buffered = Buffer.alloc(0);
    const finish = (result: Final | undefined) => {
      if (done) return;
      done = true;
      ex.signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(result);
    };
    const onAbort = () => finish(undefined);
    ex.signal.addEventListener('abort', onAbort, { once: true });
    socket.on('connect', () => {
      const frame = Buffer.alloc(2 + ex.bytes.length);
      frame.writeUInt16BE(ex.bytes.length, 0);
      ex.bytes.copy(frame, 2);
      socket.write(frame);
    });
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (!done && buffered.length >= 2) {
        const length = buffered.readUInt16BE(0);
        if (length > MAX_DNS_MESSAGE_BYTES) {
          finish({
            ...(malformed(`TCP message of ${length} bytes exceeds ${MAX_DNS_MESSAGE_BYTES}`) as Final),
            transport: 'tcp',
          });
          return;
        }
        if (buffered.length < 2 + length) return;
        const message = buffered.subarray(2, 2 + length);
        buffered = buffered.subarray(2 + length);
        const verdict = interpretReply(message, ex.query, 'tcp');
        if (verdict.action === 'ignore') noteIgnored(ex.ignored, `tcp: ${verdict.reason}`);
        else if (verdict.action === 'final') finish({ ...verdict, transport: 'tcp' });
      }
    });
    socket.on('end', () => {
      const detail =
        buffered.length > 0
          ? `TCP connection closed inside a message (${buffered.length} bytes received)`
          : 'TCP connection closed without an answer';
      finish(
        buffered.length > 0
          ? { ...(malformed(detail) as Final), transport: 'tcp' }
          : { action: 'final', outcome: 'error', addresses: [], detail, transport: 'tcp' },
      );
    });
    socket.on('error', (err) => finish(failed(err, 'tcp', 'TCP retry after a truncated UDP answer')));
  });
}

function describeIgnored(ignored: Ignored): string {
  if (ignored.count === 0) return '';
  const reasons = ignored.reasons.slice(0, 3).join('; ');
  return `; ignored ${ignored.count} message(s) that did not answer this query (${reasons})`;
}

/**
 * One A query to one resolver. Never throws for network outcomes: every way the exchange can
 * end is a DnsObservation. The rate limiter's wait is not part of the timeout (only of `signal`).
 */
export function queryA(resolver: Resolver, hostname: string, options: QueryOptions): Promise<DnsObservation> {
  return queryAddresses(resolver, hostname, 'A', options);
}

/** One AAAA query to one resolver, through the same limiter: as queryA, the observation marked AAAA. */
export function queryAaaa(
  resolver: Resolver,
  hostname: string,
  options: QueryOptions,
): Promise<DnsObservation> {
  return queryAddresses(resolver, hostname, 'AAAA', options);
}

async function queryAddresses(
  resolver: Resolver,
  hostname: string,
  type: AddressType,
  options: QueryOptions,
): Promise<DnsObservation> {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  // An A observation keeps its shape of before IPv6: the field is there only for AAAA.
  const result = (partial: Omit<DnsObservation, 'resolver' | 'hostname'>): DnsObservation => ({
    resolver,
    hostname,
    ...(type === 'AAAA' ? { recordType: 'AAAA' as const } : {}),
    ...partial,
  });
  const problem = hostnameProblem(name);
  if (problem)
    return result({ outcome: 'error', addresses: [], transport: 'udp', durationMs: 0, detail: problem });
  if (!net.isIP(resolver.address)) {
    return result({
      outcome: 'error',
      addresses: [],
      transport: 'udp',
      durationMs: 0,
      detail: `resolver ${resolver.address} is not an IP address`,
    });
  }
  if (options.limiter) {
    try {
      await options.limiter.acquire(options.signal);
    } catch {
      return result({
        outcome: 'timeout',
        addresses: [],
        transport: 'udp',
        durationMs: 0,
        detail: 'aborted while waiting for the rate limiter',
      });
    }
  }

  const query: DnsQuery = { id: randomInt(0, 0x10000), name, ...(type === 'AAAA' ? { type } : {}) };
  const started = process.hrtime.bigint();
  const deadline = armDeadline(options.timeoutMs, options.signal);
  const exchange: Exchange = {
    address: resolver.address,
    port: options.port ?? 53,
    query,
    bytes: encodeQuery(query),
    signal: deadline.signal,
    ignored: { count: 0, reasons: [] },
  };
  try {
    let transport: 'udp' | 'tcp' = 'udp';
    let final: Final | undefined;
    const udp = await exchangeUdp(exchange);
    if (udp === 'truncated') {
      transport = 'tcp';
      final = await exchangeTcp(exchange);
    } else {
      final = udp;
    }
    const durationMs = elapsedMs(started);
    if (final) {
      return result({
        outcome: final.outcome,
        addresses: final.addresses,
        transport: final.transport,
        durationMs,
        ...(final.rcode ? { rcode: final.rcode } : {}),
        ...(final.detail ? { detail: final.detail } : {}),
      });
    }
    const why =
      deadline.cause === 'aborted'
        ? 'aborted by the caller before an answer arrived'
        : `no answer within ${options.timeoutMs} ms${transport === 'tcp' ? ' (TCP retry after a truncated UDP answer)' : ''}`;
    return result({
      outcome: 'timeout',
      addresses: [],
      transport,
      durationMs,
      detail: why + describeIgnored(exchange.ignored),
    });
  } finally {
    deadline.dispose();
  }
}
