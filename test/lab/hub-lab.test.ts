// The hub-and-spoke lab (issue 15) up once: closed with its spoke bridge and router, a
// self-check that notices each way of opening the new pieces, a router that forwards what moto's
// TGW tables hold and nothing beyond the lab, and a down that leaves nothing behind.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { labDown, labExec, labUp } from './lab.js';
import { leftovers, selfCheck } from './network.js';
import { tcpConnect } from './prove.js';
import { runOk } from './shell.js';
import { readState } from './state.js';
import { assertOpeningsNoticed, type Opening } from './test-support.js';
import { HUB_NODES } from './topology.js';

const SPOKE = HUB_NODES.spoke.ns;

before(() => labDown());
after(() => labDown());

describe('a running hub-and-spoke lab', () => {
  before(() => labUp('hub-spoke'));
  after(() => labDown());

  test('is closed, and the self-check notices each way of opening the spoke or the router', async () => {
    assert.deepEqual(await selfCheck(), []);
    const openings: Opening[] = [
      {
        open: ['ip', 'netns', 'exec', 'vdl-tgw', 'iptables', '-w', '-P', 'FORWARD', 'ACCEPT'],
        close: ['ip', 'netns', 'exec', 'vdl-tgw', 'iptables', '-w', '-P', 'FORWARD', 'DROP'],
        says: /vdl-tgw FORWARD policy is not DROP/,
      },
      {
        open: [
          'ip',
          'netns',
          'exec',
          'vdl-tgw',
          'iptables',
          '-w',
          '-A',
          'FORWARD',
          '-d',
          '192.0.2.9',
          '-j',
          'ACCEPT',
        ],
        close: [
          'ip',
          'netns',
          'exec',
          'vdl-tgw',
          'iptables',
          '-w',
          '-D',
          'FORWARD',
          '-d',
          '192.0.2.9',
          '-j',
          'ACCEPT',
        ],
        says: /vdl-tgw forwards beyond the lab's ranges/,
      },
      {
        open: ['ip', '-n', 'vdl-tgw', 'route', 'add', '192.0.2.0/24', 'dev', 'vdl-tgwh'],
        close: ['ip', '-n', 'vdl-tgw', 'route', 'del', '192.0.2.0/24', 'dev', 'vdl-tgwh'],
        says: /vdl-tgw routes 192\.0\.2\.0\/24/,
      },
      {
        open: ['ip', '-n', SPOKE, 'route', 'add', 'default', 'via', '10.1.0.1'],
        close: ['ip', '-n', SPOKE, 'route', 'del', 'default', 'via', '10.1.0.1'],
        says: /vdl-spoke has a default route/,
      },
      {
        open: ['ip', '-n', 'vdl-endpoints', 'route', 'add', '10.99.0.0/16', 'via', '10.0.0.1'],
        close: ['ip', '-n', 'vdl-endpoints', 'route', 'del', '10.99.0.0/16', 'via', '10.0.0.1'],
        says: /vdl-endpoints routes 10\.99\.0\.0\/16 via a gateway 10\.0\.0\.1/,
      },
      {
        open: ['ip', 'netns', 'exec', 'vdl-sdns', 'sysctl', '-qw', 'net.ipv4.ip_forward=1'],
        close: ['ip', 'netns', 'exec', 'vdl-sdns', 'sysctl', '-qw', 'net.ipv4.ip_forward=0'],
        says: /vdl-sdns forwards IPv4/,
      },
      {
        open: ['ip', 'addr', 'add', '10.1.0.9/16', 'dev', 'vdl-br1'],
        close: ['ip', 'addr', 'del', '10.1.0.9/16', 'dev', 'vdl-br1'],
        says: /bridge vdl-br1 has address 10\.1\.0\.9/,
      },
      {
        open: ['ip', 'netns', 'exec', SPOKE, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=0'],
        close: ['ip', 'netns', 'exec', SPOKE, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1'],
        says: /vdl-spoke has IPv6 enabled/,
      },
    ];
    await assertOpeningsNoticed(openings);
  });

  test("the router forwards what the TGW tables hold: a hub ENI answers the spoke; deleting the spoke table's route in the router drops it", async () => {
    const state = readState()!;
    const eni = state.aws.endpoints['secretsmanager']!.eniIps[0]!;
    assert.equal(await tcpConnect(eni, 443, SPOKE), 'connected');
    const rule = [
      '-A',
      'FORWARD',
      '-s',
      '10.1.0.0/16',
      '-d',
      '10.0.0.0/16',
      '-i',
      'vdl-tgws',
      '-o',
      'vdl-tgwh',
      '-j',
      'ACCEPT',
    ];
    await runOk(['ip', 'netns', 'exec', 'vdl-tgw', 'iptables', '-w', '-D', ...rule.slice(1)]);
    try {
      assert.equal(await tcpConnect(eni, 443, SPOKE), 'timeout');
    } finally {
      await runOk(['ip', 'netns', 'exec', 'vdl-tgw', 'iptables', '-w', ...rule]);
    }
  });

  test('lab exec runs in vdl-spoke by default, with the AWS API reachable across the router', async () => {
    const where = await labExec(['ip', '-4', '-o', 'addr', 'show', 'dev', HUB_NODES.spoke.veth]);
    assert.match(where.stdout, /10\.1\.1\.10\/16/);
    const aws = await labExec([
      'aws',
      'sts',
      'get-caller-identity',
      '--query',
      'Account',
      '--output',
      'text',
    ]);
    assert.equal(aws.code, 0, aws.stderr);
    assert.equal(aws.stdout.trim(), '123456789012');
  });
});

describe('bringing the hub lab down', () => {
  test('leaves no namespace, link, process, /etc/netns dir or state dir of the spoke or the router', async () => {
    await labUp('hub-spoke-tgw-route-missing');
    await labDown();
    assert.deepEqual(await leftovers(), {
      namespaces: [],
      links: [],
      pids: [],
      etcNetns: [],
      stateDir: false,
    });
  });
});
