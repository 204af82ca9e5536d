import { createServer } from 'node:http';
import { BUILT_IN_RESOURCES, SchemaRegistry, buildOpenApiV3Index, openApiV3Document } from '@skiff/api-machinery';
const reg = SchemaRegistry.builtIn();
createServer((req, res) => {
  const u = new URL(req.url ?? '/', 'http://x');
  const j = (s: number, b: unknown) => { res.writeHead(s, { 'content-type': 'application/json' }); res.end(typeof b === 'string' ? b : JSON.stringify(b)); };
  if (u.pathname === '/openapi/v3') return j(200, buildOpenApiV3Index(BUILT_IN_RESOURCES, reg).json);
  if (u.pathname.startsWith('/openapi/v3/')) return j(200, openApiV3Document(u.pathname.slice(12), BUILT_IN_RESOURCES, reg)!.json);
  if (u.pathname === '/api') return j(200, { kind: 'APIVersions', versions: ['v1'] });
  if (u.pathname === '/apis') return j(200, { kind: 'APIGroupList', groups: [{ name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { groupVersion: 'apps/v1', version: 'v1' } }] });
  if (u.pathname === '/api/v1') return j(200, { kind: 'APIResourceList', groupVersion: 'v1', resources: [{ name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['get'] }] });
  if (u.pathname === '/apis/apps/v1') return j(200, { kind: 'APIResourceList', groupVersion: 'apps/v1', resources: [{ name: 'deployments', singularName: 'deployment', namespaced: true, kind: 'Deployment', verbs: ['get', 'create', 'patch'] }] });
  j(404, { kind: 'Status', code: 404, reason: 'NotFound', status: 'Failure' });
}).listen(18471, '127.0.0.1');
