// checkTls as a table over composed handshake observations.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkTls } from '../../checks/tls.js';
import type { TcpObservation, TlsObservation } from '../../src/model.js';
import { input, target } from '../fixtures/ec2/load.js';

const NAME = 'secretsmanager.us-east-1.amazonaws.com';
const connected: TcpObservation = { address: '10.0.11.23', port: 443, outcome: 'connected', durationMs: 1 };

function tls(outcome: TlsObservation['outcome'], extra: Partial<TlsObservation> = {}): TlsObservation {
  return {
    address: '10.0.11.23',
    port: 443,
    servername: NAME,
    outcome,
    certNames: [NAME],
    durationMs: 4,
    ...extra,
  };
}

function run(handshakes: TlsObservation[], options: { tcp?: TcpObservation[]; tlsOn?: boolean } = {}) {
  const t = target('secretsmanager', 'vpce-0sm', { tls: options.tlsOn ?? true });
  return checkTls(input(t, { observations: { dns: [], tcp: options.tcp ?? [connected], tls: handshakes } }));
}

describe('checkTls', () => {
  const table: Array<{ name: string; tls: TlsObservation[]; code: string; mentions: RegExp[] }> = [
    {
      name: 'passes a trusted certificate naming the host',
      tls: [tls('ok')],
      code: 'TLS_OK',
      mentions: [new RegExp(NAME)],
    },
    {
      name: 'fails TLS_NAME_MISMATCH naming the SNI and the certificate names',
      tls: [tls('name_mismatch', { certNames: ['proxy.corp.example', '*.corp.example'] })],
      code: 'TLS_NAME_MISMATCH',
      mentions: [new RegExp(`SNI ${NAME}`), /proxy\.corp\.example, \*\.corp\.example/],
    },
    {
      name: 'fails TLS_UNTRUSTED with the verification error',
      tls: [tls('untrusted', { authorizationError: 'SELF_SIGNED_CERT_IN_CHAIN' })],
      code: 'TLS_UNTRUSTED',
      mentions: [/SELF_SIGNED_CERT_IN_CHAIN/],
    },
    {
      name: 'fails TLS_HANDSHAKE_FAILED with the error detail',
      tls: [tls('handshake_failed', { certNames: [], detail: 'ECONNRESET: socket hang up' })],
      code: 'TLS_HANDSHAKE_FAILED',
      mentions: [/ECONNRESET/],
    },
    {
      name: 'fails TLS_TIMEOUT when the handshake never completes',
      tls: [tls('timeout', { certNames: [], detail: 'no handshake within 3000 ms' })],
      code: 'TLS_TIMEOUT',
      mentions: [/3000 ms/],
    },
    {
      name: 'fails when one of two addresses fails, naming it',
      tls: [tls('ok'), tls('name_mismatch', { address: '10.0.12.23', certNames: ['other.example'] })],
      code: 'TLS_NAME_MISMATCH',
      mentions: [/10\.0\.12\.23:443 presents a certificate for other\.example/],
    },
  ];
  for (const row of table) {
    it(row.name, () => {
      const findings = run(row.tls);
      assert.equal(findings.length, 1);
      assert.equal(findings[0]!.code, row.code);
      assert.equal(findings[0]!.status, row.code === 'TLS_OK' ? 'pass' : 'fail');
      for (const pattern of row.mentions) assert.match(findings[0]!.message, pattern);
      assert.equal(findings[0]!.fix === undefined, row.code === 'TLS_OK');
    });
  }

  it('skips (no findings) when the target does not use TLS', () => {
    assert.deepEqual(run([tls('ok')], { tlsOn: false }), []);
  });

  it('skips (no findings) when no TCP connection opened', () => {
    assert.deepEqual(run([tls('timeout')], { tcp: [{ ...connected, outcome: 'timeout' }] }), []);
  });
});
