// The IPv6 lab (issue 16) up once: closed over both families, a self-check that notices each way
// of opening IPv6 (a default route, a gateway, a global address, forwarding, IPv6 where it may
// not be), real clients reaching the dual-stack endpoint over IPv6, and a down that leaves nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { labDown, labUp } from './lab.js';
import { leftovers, selfCheck } from './network.js';
import { tcpConnect } from './prove.js';
import { digAaaa } from './prove-ipv6.js';
import { readState } from './state.js';
import { assertOpeningsNoticed, type Opening } from './test-support.js';

const AGENT = 'vdl-agent-a';
const ip6 = (ns: string, ...args: string[]) => ['ip', '-n', ns, '-6', ...args];

before(() => labDown());
after(() => labDown());

describe('a running IPv6 lab', () => {
  before(() => labUp('ipv6-dualstack'));
  after(() => labDown());

  test('is closed, and the self-check notices each way of opening IPv6', async () => {
    assert.deepEqual(await selfCheck(), []);
    const openings: Opening[] = [
      {
        open: ip6(AGENT, 'route', 'add', 'default', 'dev', 'vdl-aga'),
        close: ip6(AGENT, 'route', 'del', 'default', 'dev', 'vdl-aga'),
        says: /vdl-agent-a has an IPv6 default route/,
      },
      {
        open: ip6(AGENT, 'route', 'add', 'fd10:1::/64', 'via', 'fd10::2', 'dev', 'vdl-aga'),
        close: ip6(AGENT, 'route', 'del', 'fd10:1::/64', 'via', 'fd10::2', 'dev', 'vdl-aga'),
        says: /vdl-agent-a routes fd10:1::\/64 via a gateway/,
      },
      {
        open: ip6('vdl-endpoints', 'addr', 'add', '2001:db8::5/64', 'dev', 'vdl-ep', 'nodad'),
        close: ip6('vdl-endpoints', 'addr', 'del', '2001:db8::5/64', 'dev', 'vdl-ep'),
        says: /vdl-endpoints has IPv6 address 2001:db8::5\/64 outside the lab/,
      },
      {
        open: ['ip', 'netns', 'exec', 'vdl-dns', 'sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1'],
        close: ['ip', 'netns', 'exec', 'vdl-dns', 'sysctl', '-qw', 'net.ipv6.conf.all.forwarding=0'],
        says: /vdl-dns forwards IPv6/,
      },
      {
        open: ['ip', 'netns', 'exec', 'vdl-aws', 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=0'],
        close: ['ip', 'netns', 'exec', 'vdl-aws', 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1'],
        says: /vdl-aws has IPv6 enabled/,
      },
    ];
    await assertOpeningsNoticed(openings);
  });

  test("the agent reaches the dual-stack endpoint's ENIs over IPv6 and the VPC resolver at fd00:ec2::253", async () => {
    const state = readState()!;
    const v6 = state.aws.endpoints['secretsmanager']?.eniIpv6 ?? [];
    assert.equal(v6.length, 2);
    assert.deepEqual(await digAaaa('secretsmanager.us-east-1.amazonaws.com'), [...v6].sort());
    for (const address of v6) assert.equal(await tcpConnect(address), 'connected');
  });
});

describe('after down', () => {
  test('nothing of the IPv6 lab is left', async () => {
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
