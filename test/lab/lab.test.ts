// The lab's life cycle: closed by construction (and a self-check that notices when it is not),
// `lab exec`, runtime TLS faults, a clean `down` (also after a crash), and bad input.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { labDown, labExec, labUp, setTlsFaults } from './lab.js';
import { leftovers, selfCheck } from './network.js';
import { tcpConnect, tlsHandshake } from './prove.js';
import { run, runOk } from './shell.js';
import { readState, STATE_FILE } from './state.js';
import { assertOpeningsNoticed, type Opening } from './test-support.js';
import { MOTO_URL, STATE_DIR } from './topology.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = ['--import', 'tsx', 'test/lab/cli.ts'];

function lab(args: string[], env: Record<string, string> = {}) {
  return run([process.execPath, ...CLI, ...args], { cwd: REPO_ROOT, env, timeoutMs: 120_000 });
}

async function assertNothingLeft(): Promise<void> {
  assert.deepEqual(await leftovers(), { namespaces: [], links: [], pids: [], etcNetns: [], stateDir: false });
}

function fakeBin(name: string, script: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'vdl-test-'));
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${script}\n`);
  chmodSync(file, 0o755);
  return dir;
}

let hostIptables = '';

before(async () => {
  await labDown();
  hostIptables = await runOk(['iptables-save']).then((s) => s.replace(/^#.*$/gm, ''));
});
after(() => labDown());

describe('a running lab', () => {
  before(() => labUp('healthy'));
  after(() => labDown());

  test('is closed, and the self-check notices each way of opening it', async () => {
    assert.deepEqual(await selfCheck(), []);
    const check = await lab(['check']);
    assert.equal(check.code, 0, check.stdout + check.stderr);

    const openings: Opening[] = [
      {
        open: ['ip', 'addr', 'add', '10.0.0.1/16', 'dev', 'vdl-br0'],
        close: ['ip', 'addr', 'del', '10.0.0.1/16', 'dev', 'vdl-br0'],
        says: /bridge vdl-br0 has address 10\.0\.0\.1/,
      },
      {
        open: ['ip', '-n', 'vdl-agent-a', 'route', 'add', 'default', 'dev', 'vdl-aga'],
        close: ['ip', '-n', 'vdl-agent-a', 'route', 'del', 'default', 'dev', 'vdl-aga'],
        says: /vdl-agent-a has a default route/,
      },
      {
        open: ['ip', 'netns', 'exec', 'vdl-endpoints', 'sysctl', '-qw', 'net.ipv4.ip_forward=1'],
        close: ['ip', 'netns', 'exec', 'vdl-endpoints', 'sysctl', '-qw', 'net.ipv4.ip_forward=0'],
        says: /vdl-endpoints forwards IPv4/,
      },
      {
        open: ['ip', '-n', 'vdl-agent-b', 'route', 'add', '10.99.0.0/16', 'dev', 'vdl-agb'],
        close: ['ip', '-n', 'vdl-agent-b', 'route', 'del', '10.99.0.0/16', 'dev', 'vdl-agb'],
        says: /vdl-agent-b routes 10\.99\.0\.0\/16/,
      },
      {
        open: ['ip', '-n', 'vdl-agent-a', 'route', 'add', '192.0.2.77/32', 'dev', 'vdl-aga'],
        close: ['ip', '-n', 'vdl-agent-a', 'route', 'del', '192.0.2.77/32', 'dev', 'vdl-aga'],
        says: /no lab namespace owns 192\.0\.2\.77/,
      },
      {
        open: [
          'sh',
          '-c',
          'ip link add vdl-stray type veth peer name vdl-stray-p && ip link set vdl-stray master vdl-br0',
        ],
        close: ['ip', 'link', 'del', 'vdl-stray'],
        says: /port that is not a lab veth: vdl-stray/,
      },
    ];
    await assertOpeningsNoticed(openings);
  });

  test('lab exec runs in vdl-agent-a (or b) with the lab environment and passes the exit code back', async () => {
    const a = await lab([
      'exec',
      '--',
      'sh',
      '-c',
      'echo "$AWS_ENDPOINT_URL $AWS_REGION"; ip -4 -o addr show; exit 7',
    ]);
    assert.equal(a.code, 7);
    assert.match(a.stdout, new RegExp(`${MOTO_URL} us-east-1`));
    assert.match(a.stdout, /inet 10\.0\.1\.10\/16/);
    const b = await lab(['exec', '--ns', 'b', '--', 'ip', '-4', '-o', 'addr', 'show']);
    assert.equal(b.code, 0);
    assert.match(b.stdout, /inet 10\.0\.2\.10\/16/);
    assert.doesNotMatch(b.stdout, /10\.0\.1\.10/);
  });

  test("moto holds the agent's own ENI, reachable from the agent namespace", async () => {
    const result = await labExec([
      'aws',
      'ec2',
      'describe-network-interfaces',
      '--filters',
      'Name=addresses.private-ip-address,Values=10.0.1.10',
      '--query',
      'NetworkInterfaces[0].[SubnetId, Groups[0].GroupName]',
      '--output',
      'json',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const state = readState()!;
    assert.deepEqual(JSON.parse(result.stdout), [state.aws.subnets['agent-a'], 'vdl-agent']);
  });

  test('a node client in the agent namespace trusts the lab CA through NODE_EXTRA_CA_CERTS', async () => {
    const state = readState()!;
    const ip = state.eniIps['secretsmanager']![0]!;
    const script = `const s=require('tls').connect({host:'${ip}',port:443,servername:'secretsmanager.us-east-1.amazonaws.com'},()=>{console.log(s.authorized);s.end()});s.on('error',e=>{console.log(e.code);process.exit(1)})`;
    const result = await labExec([process.execPath, '-e', script]);
    assert.equal(result.stdout.trim(), 'true', result.stderr);
  });

  test('TLS faults change at run time: a stopped listener refuses, a wrong-name certificate mismatches', async () => {
    const state = readState()!;
    const [sm] = state.eniIps['secretsmanager']!;
    const [logs] = state.eniIps['logs']!;
    await setTlsFaults({ stopped: ['logs'], wrongName: ['secretsmanager'] });
    assert.equal(await tcpConnect(logs!), 'refused');
    assert.equal(
      await tlsHandshake(sm!, 'secretsmanager.us-east-1.amazonaws.com', state.caPath),
      'name-mismatch',
    );
    await setTlsFaults({});
    assert.equal(await tcpConnect(logs!), 'connected');
    assert.equal(await tlsHandshake(sm!, 'secretsmanager.us-east-1.amazonaws.com', state.caPath), 'ok');
  });

  test('a second up is refused with one line and leaves the running lab alone', async () => {
    const before = readState()!;
    const second = await lab(['up', '--scenario', 'tls-wrong-name']);
    assert.equal(second.code, 2);
    assert.equal(second.stderr.trim().split('\n').length, 1, second.stderr);
    assert.match(second.stderr, /already up \(scenario healthy\)/);
    assert.equal(readState()?.startedAt, before.startedAt);
    assert.deepEqual(await selfCheck(), []);
  });
});

describe('bringing the lab down', () => {
  test('leaves no namespace, link, process, /etc/netns dir, state dir or host iptables rule; twice is fine', async () => {
    await labUp('endpoint-sg-no-443');
    const pids = Object.values(readState()!.pids);
    const down = await lab(['down']);
    assert.equal(down.code, 0, down.stderr);
    await assertNothingLeft();
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), `pid ${pid} still running`);
    assert.equal((await runOk(['iptables-save'])).replace(/^#.*$/gm, ''), hostIptables);
    assert.equal((await lab(['down'])).code, 0);
    const status = await lab(['status']);
    assert.equal(status.stdout.trim(), 'down');
  });

  test('also cleans up after a crash that lost the state file and pid files', async () => {
    await labUp('healthy');
    const pids = Object.values(readState()!.pids);
    unlinkSync(STATE_FILE);
    for (const file of readdirSync(STATE_DIR).filter((f) => f.endsWith('.pid')))
      rmSync(join(STATE_DIR, file));
    assert.equal(readState(), undefined);
    const status = await lab(['status']);
    assert.match(status.stdout, /leftovers remain/);
    await labDown();
    await assertNothingLeft();
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), `pid ${pid} still running`);
  });
});

describe('bad input', () => {
  test('an unknown scenario: one line naming the choices, exit 2, nothing made', async () => {
    const result = await lab(['up', '--scenario', 'no-such-thing']);
    assert.equal(result.code, 2);
    assert.equal(result.stderr.trim().split('\n').length, 1);
    assert.match(result.stderr, /unknown scenario "no-such-thing"; one of: healthy, /);
    await assertNothingLeft();
  });

  test('not root: one line, exit 2, nothing made', async () => {
    const result = await run(
      ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...CLI, 'up'],
      { cwd: REPO_ROOT, env: { HOME: '/tmp', TSX_DISABLE_CACHE: '1' }, timeoutMs: 60_000 },
    );
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /^lab: the lab needs root .* uid 65534\n$/);
    await assertNothingLeft();
  });

  test('no usable ip netns: one line, exit 2, nothing made', async () => {
    const bin = fakeBin('ip', 'echo \'Object "netns" is unknown, try "ip help".\' >&2; exit 255');
    try {
      const result = await lab(['up'], { PATH: `${bin}:${process.env['PATH']}` });
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /^lab: this machine has no usable `ip netns` \(Object "netns" is unknown/);
      assert.equal(result.stderr.trim().split('\n').length, 1);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
    await assertNothingLeft();
  });

  test('an up that fails half-way (the resolver will not start) removes what it made', async () => {
    const bin = fakeBin('dnsmasq', 'echo "dnsmasq: simulated failure" >&2; exit 3');
    try {
      const result = await lab(['up'], { PATH: `${bin}:${process.env['PATH']}` });
      assert.equal(result.code, 1);
      assert.match(result.stderr, /dns-vpc exited \(3\).*simulated failure/);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
    await assertNothingLeft();
  });

  test('exec without a running lab: one line, exit 2', async () => {
    const result = await lab(['exec', '--', 'true']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^lab: no lab is up; run `lab up` first\n$/);
  });
});
