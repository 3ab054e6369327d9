// `vpce-doctor serve` stops on its stop signal (SIGTERM in ECS) while clients hold half-sent
// requests: serve() returns 0 and every such socket is closed, well before the request deadline
// (30 s) would have cut them. The agent gets no AWS: every call goes to a closed loopback port.
import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import pino from 'pino';
import { validateConfig } from '../../src/config.js';
import { readServeSettings, serve } from '../../src/server.js';

const DEADLINE_MS = 15_000;

async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function openUntilAccepted(port: number): Promise<Socket> {
  const stop = Date.now() + DEADLINE_MS;
  for (;;) {
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => resolve(socket));
        socket.once('error', reject);
      });
    } catch (error) {
      if (Date.now() > stop) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

describe('serve, stopped with half-sent requests open', () => {
  it('returns 0 and closes every socket before a generous deadline', async () => {
    const port = await freeLoopbackPort();
    const env: NodeJS.ProcessEnv = {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      VPCE_DOCTOR_FLOW_LOGS: '0',
    };
    let stop: (signal: string) => void = () => {};
    const stopSignal = new Promise<string>((resolve) => {
      stop = resolve;
    });
    const settings = { ...readServeSettings(env, { host: '127.0.0.1', port: String(port) }) };
    const served = serve({
      config: validateConfig({}),
      env,
      settings,
      logger: pino({ level: 'silent' }),
      stopSignal,
    });

    const partial = ['GET /rep', 'GET /report HTTP/1.1\r\nHost: x\r\nX-Slow: ', ''];
    const sockets: Socket[] = [];
    for (const text of partial) {
      const socket = await openUntilAccepted(port);
      socket.on('error', () => {});
      if (text) socket.write(text);
      sockets.push(socket);
    }
    const closed = Promise.all(
      sockets.map((socket) => new Promise<void>((resolve) => socket.once('close', () => resolve()))),
    );

    stop('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      Promise.all([served, closed]).then(([code]) => code),
      new Promise((resolve) => {
        timer = setTimeout(() => resolve('still serving'), DEADLINE_MS);
      }),
    ]);
    clearTimeout(timer);
    assert.equal(outcome, 0);
    assert.ok(sockets.every((s) => s.destroyed));
  });
});
