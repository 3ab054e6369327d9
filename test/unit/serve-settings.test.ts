// `vpce-doctor serve` refuses at start a token that can never match or is short enough to guess:
// one clear line, exit 2, and the token itself is never printed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Io, main } from '../../src/cli.js';
import { ConfigError } from '../../src/config.js';
import { MIN_TOKEN_LENGTH, readServeSettings } from '../../src/server.js';

const GOOD = 'a3f1c2d4e5b6978812345678abcdef0123456789abcdef0123456789abcdef01';

describe('VPCE_DOCTOR_TOKEN', () => {
  const refused: Array<[string, string, RegExp]> = [
    ['a short one', 's3cr3t-token', /is 12 characters long; at least 32 are required/],
    [
      'one saved with its trailing newline',
      `${GOOD}\n`,
      /whitespace \(a trailing newline from the secret\?\)/,
    ],
    ['one with a space inside', `${GOOD.slice(0, 20)} ${GOOD.slice(20)}`, /whitespace/],
    ['one with a non-ASCII character', `${GOOD}é`, /other than visible ASCII/],
    ['one of 31 characters', GOOD.slice(0, MIN_TOKEN_LENGTH - 1), /is 31 characters long/],
  ];
  for (const [what, token, reason] of refused) {
    it(`refuses ${what} in one line that does not print it`, () => {
      assert.throws(
        () => readServeSettings({ VPCE_DOCTOR_TOKEN: token }),
        (error: unknown) =>
          error instanceof ConfigError &&
          reason.test(error.message) &&
          error.message.startsWith('VPCE_DOCTOR_TOKEN ') &&
          !error.message.includes('\n') &&
          !error.message.includes(token.trim().slice(0, 12)),
      );
    });
  }

  it('takes 32 or more visible ASCII characters, and no token at all', () => {
    assert.equal(readServeSettings({ VPCE_DOCTOR_TOKEN: GOOD.slice(0, 32) }).token, GOOD.slice(0, 32));
    assert.equal(readServeSettings({ VPCE_DOCTOR_TOKEN: `${GOOD}~!#$%&*+-./:=?@^_` }).token?.length, 81);
    assert.equal(readServeSettings({}).token, undefined);
    assert.equal(readServeSettings({ VPCE_DOCTOR_TOKEN: '' }).token, undefined, 'empty is unset');
  });

  it('`vpce-doctor serve` with a weak token exits 2 with one line on stderr, before listening', async () => {
    let stdout = '';
    let stderr = '';
    const io: Io = {
      env: { VPCE_DOCTOR_TOKEN: 'changeme', AWS_EC2_METADATA_DISABLED: 'true' },
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
    };
    const code = await main(['serve'], io);
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.equal(stderr.trim().split('\n').length, 1, stderr);
    assert.match(stderr, /^vpce-doctor: VPCE_DOCTOR_TOKEN is 8 characters long/);
  });
});

describe('VPCE_DOCTOR_MAX_CONNECTIONS', () => {
  it('defaults to 1,024 and takes 16..65535', () => {
    assert.equal(readServeSettings({}).maxConnections, 1024);
    assert.equal(readServeSettings({ VPCE_DOCTOR_MAX_CONNECTIONS: '64' }).maxConnections, 64);
    for (const bad of ['0', '15', '70000', 'lots', '-1']) {
      assert.throws(
        () => readServeSettings({ VPCE_DOCTOR_MAX_CONNECTIONS: bad }),
        /VPCE_DOCTOR_MAX_CONNECTIONS: '.*' is not a number in 16\.\.65535/,
      );
    }
  });
});
