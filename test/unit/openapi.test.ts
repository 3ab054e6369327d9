// docs/openapi.json and the app agree: every route is documented, every documented route exists,
// and each route's query and path parameters are the ones the document lists.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { RouteOptions } from 'fastify';
import { buildApp } from '../../src/app.js';
import { FakeRunner, healthy } from './app-fixtures.js';

interface Operation {
  operationId: string;
  security?: unknown[];
  parameters?: Array<{ $ref?: string; name?: string; in?: string }>;
  responses: Record<string, unknown>;
}
interface OpenApi {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { parameters: Record<string, { name: string; in: string }> };
}

const doc = JSON.parse(readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8')) as OpenApi;

async function appRoutes(): Promise<RouteOptions[]> {
  const app = buildApp({ runner: new FakeRunner([healthy()]), version: '9.9.9', token: 't' });
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    routes.push(route);
  });
  await app.ready();
  return routes;
}

const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');
const methodsOf = (route: RouteOptions) => [route.method].flat().map((m) => m.toLowerCase());

function parameters(op: Operation): Array<{ name: string; in: string }> {
  return (op.parameters ?? []).map((p) => {
    if (p.$ref) {
      const resolved = doc.components.parameters[p.$ref.split('/').pop()!];
      assert.ok(resolved, `${p.$ref} resolves`);
      return resolved;
    }
    return { name: p.name!, in: p.in! };
  });
}

describe('docs/openapi.json', () => {
  it('is an OpenAPI 3.1 document', () => {
    assert.match(doc.openapi, /^3\.1\./);
  });

  it('documents exactly the routes the app serves (HEAD aside)', async () => {
    const served = new Set(
      (await appRoutes())
        .flatMap((r) => methodsOf(r).map((m) => `${m} ${openApiPath(r.url)}`))
        .filter((r) => !r.startsWith('head ')),
    );
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`)),
    );
    assert.ok(served.size >= 9, [...served].join(', '));
    assert.deepEqual([...served].sort(), [...documented].sort());
  });

  it("lists each route's query and path parameters as its schema does", async () => {
    for (const route of await appRoutes()) {
      if (methodsOf(route).includes('head')) continue;
      const op = doc.paths[openApiPath(route.url)]!['get']!;
      const schema = route.schema as
        | { querystring?: { properties?: object }; params?: { properties?: object } }
        | undefined;
      const want = [
        ...Object.keys(schema?.querystring?.properties ?? {}).map((name) => `query ${name}`),
        ...Object.keys(schema?.params?.properties ?? {}).map((name) => `path ${name}`),
      ].sort();
      const have = parameters(op)
        .map((p) => `${p.in} ${p.name}`)
        .sort();
      assert.deepEqual(have, want, route.url);
    }
  });

  it('marks exactly the health routes as open and documents 401 and 403 on every other one', () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      const op = ops['get']!;
      const open = ['/healthz', '/readyz', '/health'].includes(path);
      assert.equal(Array.isArray(op.security) && op.security.length === 0, open, path);
      assert.equal('401' in op.responses, !open, path);
      assert.equal('403' in op.responses, !open, `${path}: 403 for a client off loopback without a token`);
    }
  });
});
