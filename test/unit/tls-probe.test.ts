// probeTls against loopback TLS servers whose certificates are made here with openssl: a CA,
// a leaf for the right names (one a wildcard), a leaf for a wrong name, and a self-signed one.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import {
  certificateNames,
  createTlsSessionCache,
  probeTls,
  type TlsSession,
  type TlsSessionCache,
  tlsSessionKey,
} from '../../src/net/tls.js';
import { makeCa, makeLeaf } from '../support/certificates.js';

const NAME = 'secretsmanager.us-east-1.amazonaws.com';
interface Pem {
  key: string;
  cert: string;
}

function makeCertificates(dir: string): { ca: Pem; right: Pem; wrong: Pem; selfSigned: Pem } {
  const ca = { cert: makeCa(dir), key: readFileSync(join(dir, 'ca.key'), 'utf8') };
  return {
    ca,
    right: makeLeaf(dir, 'right', [NAME, '*.dkr.ecr.us-east-1.amazonaws.com']),
    wrong: makeLeaf(dir, 'wrong', ['proxy.corp.example', '*.corp.example']),
    selfSigned: makeLeaf(dir, 'self', [NAME], { selfSigned: true }),
  };
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return (server.address() as net.AddressInfo).port;
}

describe('probeTls', () => {
  let dir: string;
  let certs: ReturnType<typeof makeCertificates>;
  const servers: net.Server[] = [];
  const ports: Record<'right' | 'wrong' | 'selfSigned' | 'garbage' | 'closes' | 'silent', number> = {
    right: 0,
    wrong: 0,
    selfSigned: 0,
    garbage: 0,
    closes: 0,
    silent: 0,
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vpce-doctor-tls-'));
    certs = makeCertificates(dir);
    for (const kind of ['right', 'wrong', 'selfSigned'] as const) {
      // As AWS does, it waits for a request, and sends its TLS 1.3 session tickets meanwhile
      // (a server that ends at once sends none).
      const server = tls.createServer({ key: certs[kind].key, cert: certs[kind].cert }, (socket) =>
        socket.setTimeout(1000, () => socket.end()),
      );
      server.on('tlsClientError', () => {});
      servers.push(server);
      ports[kind] = await listen(server);
    }
    const garbage = net.createServer((socket) =>
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\nnot tls at all\r\n'),
    );
    const closes = net.createServer((socket) => socket.destroy());
    const held: net.Socket[] = [];
    const silent = net.createServer((socket) => held.push(socket));
    silent.on('close', () => {
      for (const socket of held) socket.destroy();
    });
    servers.push(garbage, closes, silent);
    ports.garbage = await listen(garbage);
    ports.closes = await listen(closes);
    ports.silent = await listen(silent);
  });

  after(async () => {
    for (const server of servers) {
      server.close();
      (server as net.Server & { closeAllConnections?: () => void }).closeAllConnections?.();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports ok for a certificate from a trusted CA that names the host, with its names', async () => {
    const observation = await probeTls('127.0.0.1', ports.right, NAME, {
      timeoutMs: 3000,
      ca: certs.ca.cert,
    });
    assert.equal(observation.outcome, 'ok', observation.detail ?? observation.authorizationError);
    assert.equal(observation.servername, NAME);
    assert.deepEqual(observation.certNames, [NAME, '*.dkr.ecr.us-east-1.amazonaws.com']);
    assert.ok(observation.durationMs >= 0);
  });

  it('accepts a name covered by a wildcard SAN, as Node does', async () => {
    const host = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
    const observation = await probeTls('127.0.0.1', ports.right, host, {
      timeoutMs: 3000,
      ca: certs.ca.cert,
    });
    assert.equal(observation.outcome, 'ok');
  });

  it('reports name_mismatch with the certificate names when a trusted certificate names another host', async () => {
    const observation = await probeTls('127.0.0.1', ports.wrong, NAME, {
      timeoutMs: 3000,
      ca: certs.ca.cert,
    });
    assert.equal(observation.outcome, 'name_mismatch');
    assert.deepEqual(observation.certNames, ['proxy.corp.example', '*.corp.example']);
    assert.equal(observation.authorizationError, 'ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('does not let a wildcard match two labels', async () => {
    const observation = await probeTls('127.0.0.1', ports.right, 'a.b.dkr.ecr.us-east-1.amazonaws.com', {
      timeoutMs: 3000,
      ca: certs.ca.cert,
    });
    assert.equal(observation.outcome, 'name_mismatch');
  });

  it('reports untrusted with the verification error for a self-signed certificate', async () => {
    const observation = await probeTls('127.0.0.1', ports.selfSigned, NAME, {
      timeoutMs: 3000,
      ca: certs.ca.cert,
    });
    assert.equal(observation.outcome, 'untrusted');
    assert.equal(observation.authorizationError, 'DEPTH_ZERO_SELF_SIGNED_CERT');
    assert.deepEqual(observation.certNames, [NAME]);
  });

  it('reports untrusted when the issuing CA is not among the trusted roots', async () => {
    const observation = await probeTls('127.0.0.1', ports.right, NAME, {
      timeoutMs: 3000,
      ca: certs.selfSigned.cert,
    });
    assert.equal(observation.outcome, 'untrusted');
    assert.ok((observation.authorizationError ?? '').length > 0);
  });

  it('reports handshake_failed when the peer answers with something that is not TLS', async () => {
    const observation = await probeTls('127.0.0.1', ports.garbage, NAME, {
      timeoutMs: 3000,
      ca: certs.ca.cert,
    });
    assert.equal(observation.outcome, 'handshake_failed');
    assert.ok((observation.detail ?? '').length > 0);
  });

  it('reports handshake_failed when the peer closes during the handshake', async () => {
    const observation = await probeTls('127.0.0.1', ports.closes, NAME, {
      timeoutMs: 3000,
      ca: certs.ca.cert,
    });
    assert.equal(observation.outcome, 'handshake_failed');
  });

  describe('session resumption (warm runs)', () => {
    /** The session ticket arrives after the observation (TLS 1.3): wait until it is kept. */
    async function kept(sessions: TlsSessionCache, key: string): Promise<TlsSession> {
      for (let i = 0; i < 100; i += 1) {
        const session = sessions.get(key);
        if (session) return session;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.fail(`no session kept for ${key}`);
    }

    it('resumes the session of a passed handshake: same outcome and names, marked resumed', async () => {
      const sessions = createTlsSessionCache({ ttlMs: 60_000 });
      const options = { timeoutMs: 3000, ca: certs.ca.cert, sessions };
      const full = await probeTls('127.0.0.1', ports.right, NAME, options);
      assert.equal(full.outcome, 'ok');
      assert.equal(full.resumed, undefined);
      await kept(sessions, tlsSessionKey('127.0.0.1', ports.right, NAME));
      const resumed = await probeTls('127.0.0.1', ports.right, NAME, options);
      assert.equal(resumed.outcome, 'ok', resumed.detail ?? resumed.authorizationError);
      assert.equal(resumed.resumed, true);
      assert.deepEqual(resumed.certNames, full.certNames);
    });

    it('does a full handshake again once the session is older than the TTL', async () => {
      let now = 0;
      const sessions = createTlsSessionCache({ ttlMs: 1000, clock: () => now });
      const options = { timeoutMs: 3000, ca: certs.ca.cert, sessions };
      await probeTls('127.0.0.1', ports.right, NAME, options);
      await kept(sessions, tlsSessionKey('127.0.0.1', ports.right, NAME));
      now = 1001;
      const again = await probeTls('127.0.0.1', ports.right, NAME, options);
      assert.equal(again.outcome, 'ok');
      assert.equal(again.resumed, undefined);
    });

    it('sees a certificate for another name at once when a new server refuses the ticket, and forgets the session', async () => {
      const sessions = createTlsSessionCache({ ttlMs: 60_000 });
      const options = { timeoutMs: 3000, ca: certs.ca.cert, sessions };
      await probeTls('127.0.0.1', ports.right, NAME, options);
      const ticket = await kept(sessions, tlsSessionKey('127.0.0.1', ports.right, NAME));
      // As if the ENI's listener were replaced by one serving the wrong certificate.
      const key = tlsSessionKey('127.0.0.1', ports.wrong, NAME);
      sessions.keep(key, ticket);
      const observation = await probeTls('127.0.0.1', ports.wrong, NAME, options);
      assert.equal(observation.outcome, 'name_mismatch');
      assert.equal(observation.resumed, undefined);
      assert.deepEqual(observation.certNames, ['proxy.corp.example', '*.corp.example']);
      assert.equal(sessions.get(key), undefined);
    });

    it('keeps nothing from a handshake that did not pass', async () => {
      const sessions = createTlsSessionCache({ ttlMs: 60_000 });
      for (const port of [ports.wrong, ports.selfSigned, ports.garbage])
        await probeTls('127.0.0.1', port, NAME, { timeoutMs: 3000, ca: certs.ca.cert, sessions });
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(sessions.size, 0);
    });
  });

  it('bounds the session cache: the oldest session goes first', () => {
    const sessions = createTlsSessionCache({ ttlMs: 60_000, maxEntries: 2 });
    for (const key of ['a', 'b', 'c']) sessions.keep(key, { session: Buffer.from(key), certNames: [key] });
    assert.equal(sessions.size, 2);
    assert.equal(sessions.get('a'), undefined);
    assert.deepEqual(sessions.get('c'), { session: Buffer.from('c'), certNames: ['c'] });
  });

  it('reports timeout at its deadline when the peer accepts and never answers the ClientHello', async () => {
    const observation = await probeTls('127.0.0.1', ports.silent, NAME, {
      timeoutMs: 200,
      ca: certs.ca.cert,
    });
    assert.equal(observation.outcome, 'timeout');
    assert.match(observation.detail ?? '', /200 ms/);
  });

  it('reports timeout naming the abort when the caller aborts', async () => {
    const controller = new AbortController();
    const pending = probeTls('127.0.0.1', ports.silent, NAME, {
      timeoutMs: 30_000,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 50);
    const observation = await pending;
    assert.equal(observation.outcome, 'timeout');
    assert.match(observation.detail ?? '', /aborted/);
  });
});

describe('certificateNames', () => {
  it('takes SAN DNS entries and skips IP entries', () => {
    assert.deepEqual(
      certificateNames({
        subject: { CN: 'x' } as tls.PeerCertificate['subject'],
        subjectaltname: 'DNS:a.example, IP Address:10.0.0.1, DNS:*.b.example',
      }),
      ['a.example', '*.b.example'],
    );
  });
  it('falls back to the subject CN when there are no SAN DNS names', () => {
    assert.deepEqual(
      certificateNames({
        subject: { CN: 'only-cn.example' } as tls.PeerCertificate['subject'],
        subjectaltname: '',
      }),
      ['only-cn.example'],
    );
  });
});
