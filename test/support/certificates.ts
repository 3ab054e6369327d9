// Certificates for loopback TLS servers, made by openssl in a scratch directory: a CA, and
// leaves it signs for the names a test needs (P-256 keys, valid two days).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Pem {
  key: string;
  cert: string;
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2'];

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA in `dir` (ca.pem, ca.key); its certificate is returned as PEM. */
export function makeCa(dir: string): string {
  openssl(dir, [
    'req',
    '-x509',
    ...EC_KEY,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-subj',
    '/CN=vpce-doctor test CA',
  ]);
  return readFileSync(join(dir, 'ca.pem'), 'utf8');
}

/**
 * A leaf for `names` (SAN DNS entries; the first is the CN), signed by makeCa's CA in the same
 * `dir`, or by itself with `selfSigned`.
 */
export function makeLeaf(
  dir: string,
  file: string,
  names: string[],
  options: { selfSigned?: boolean } = {},
): Pem {
  openssl(dir, [
    'req',
    '-x509',
    ...EC_KEY,
    ...(options.selfSigned ? [] : ['-CA', 'ca.pem', '-CAkey', 'ca.key']),
    '-keyout',
    `${file}.key`,
    '-out',
    `${file}.pem`,
    '-subj',
    `/CN=${names[0]}`,
    '-addext',
    `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`,
    ...(options.selfSigned ? [] : ['-addext', 'basicConstraints=CA:FALSE']),
  ]);
  return {
    key: readFileSync(join(dir, `${file}.key`), 'utf8'),
    cert: readFileSync(join(dir, `${file}.pem`), 'utf8'),
  };
}
