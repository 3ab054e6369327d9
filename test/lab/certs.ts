// The lab CA and one leaf certificate per service hostname set, made with openssl (P-256: fast).
import { join } from 'node:path';
import { runOk } from './shell.js';

export interface CertPair {
  cert: string;
  key: string;
}

export async function makeCa(dir: string): Promise<CertPair> {
  const pair = { cert: join(dir, 'ca.pem'), key: join(dir, 'ca.key') };
  await runOk([
    'openssl',
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    pair.key,
    '-out',
    pair.cert,
    '-days',
    '2',
    '-subj',
    '/CN=vpce-doctor lab CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return pair;
}

/** A leaf for `names` (the first is the CN), signed by the CA, written as `<file>.pem/.key`. */
export async function makeLeaf(dir: string, file: string, names: string[], ca: CertPair): Promise<CertPair> {
  const pair = { cert: join(dir, `${file}.pem`), key: join(dir, `${file}.key`) };
  await runOk([
    'openssl',
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    pair.key,
    '-out',
    pair.cert,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-days',
    '2',
    '-subj',
    `/CN=${names[0]}`,
    '-addext',
    `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`,
    '-addext',
    'basicConstraints=critical,CA:FALSE',
    '-addext',
    'extendedKeyUsage=serverAuth',
  ]);
  return pair;
}
