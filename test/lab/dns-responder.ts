// A resolver that answers SERVFAIL to every query, over UDP and TCP — dnsmasq cannot be told
// to fail on purpose. Runs inside vdl-dns: `node --import tsx dns-responder.ts ADDRESS [PORT]`.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { pathToFileURL } from 'node:url';
import dnsPacket from 'dns-packet';

const SERVFAIL = 2;

/** The SERVFAIL response to a raw query, or undefined when the query cannot be decoded. */
export function servfailFor(query: Buffer): Buffer | undefined {
  let decoded: dnsPacket.Packet;
  try {
    decoded = dnsPacket.decode(query);
  } catch {
    return undefined;
  }
  if (decoded.type !== 'query') return undefined;
  return dnsPacket.encode({
    type: 'response',
    id: decoded.id ?? 0,
    flags: ((decoded.flags ?? 0) & dnsPacket.RECURSION_DESIRED) | dnsPacket.RECURSION_AVAILABLE | SERVFAIL,
    questions: decoded.questions ?? [],
    answers: [],
  });
}

function serve(address: string, port: number): void {
  const udp = createSocket('udp4');
  udp.on('message', (msg, peer) => {
    const reply = servfailFor(msg);
    if (reply) udp.send(reply, peer.port, peer.address);
  });
  udp.bind(port, address);

  const tcp = createServer((socket) => {
    let buffered = Buffer.alloc(0);
    socket.setTimeout(5000, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const length = buffered.readUInt16BE(0);
        if (buffered.length < 2 + length) break;
        const reply = servfailFor(buffered.subarray(2, 2 + length));
        buffered = buffered.subarray(2 + length);
        if (!reply) {
          socket.destroy();
          return;
        }
        const framed = Buffer.alloc(2 + reply.length);
        framed.writeUInt16BE(reply.length, 0);
        reply.copy(framed, 2);
        socket.write(framed);
      }
    });
  });
  tcp.listen(port, address);
  process.on('SIGTERM', () => process.exit(0));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const address = process.argv[2];
  if (!address) {
    process.stderr.write('usage: dns-responder.ts ADDRESS [PORT]\n');
    process.exit(2);
  }
  serve(address, Number(process.argv[3] ?? 53));
}
