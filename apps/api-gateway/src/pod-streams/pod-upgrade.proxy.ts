import { Injectable, Logger } from '@nestjs/common';
import { ApiError } from '@skiff/api-machinery';
import { IncomingMessage } from 'node:http';
import { Duplex } from 'node:stream';
import { connect } from 'node:tls';
import { AuthenticatorService } from '../auth/authenticator.service';
import { setRequestUser } from '../auth/request-user';
import { AuthorizationService } from '../authorization/authorization.service';
import { ObjectStoreRepository } from '../storage/object-store.repository';
import { AgentDirectoryService, containerOf } from './agent-directory.service';
import { requestUrl } from '../kube-api/request-info';

const POD_STREAM_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|attach|portforward)$/;
// What the agent needs of the client's upgrade request: WebSocket, or SPDY/3.1 (kubectl's fallback) and its stream protocol.
const PASS_HEADERS = [
  'upgrade',
  'connection',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
  'x-stream-protocol-version',
];

/**
 * pods/exec, pods/attach and pods/portforward arrive as upgrades (WebSocket; SPDY/3.1 for port-forward's fallback). Like
 * kube-apiserver with kubelet, the API server checks the caller, finds the pod's sandbox agent
 * and splices the connection through to the agent's endpoint, which speaks the protocol.
 */
@Injectable()
export class PodUpgradeProxy {
  private readonly log = new Logger('pod-streams');

  constructor(
    private readonly authenticator: AuthenticatorService,
    private readonly store: ObjectStoreRepository,
    private readonly agents: AgentDirectoryService,
    private readonly authorization: AuthorizationService,
  ) {}

  handle(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    void this.proxy(req, socket, head).catch((err: unknown) => {
      const e = ApiError.from(err);
      if (!(err instanceof ApiError)) this.log.warn(`upgrade ${req.url}: ${e.message}`);
      const body = JSON.stringify(e.toStatus());
      socket.end(
        `HTTP/1.1 ${e.code} ${e.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
  }

  private async proxy(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = requestUrl(req.url ?? '/');
    const m = POD_STREAM_PATH.exec(url.pathname);
    if (!m) throw ApiError.pathNotFound(url.pathname);
    const user = await this.authenticator.authenticate(req);
    if (!user) throw ApiError.unauthorized();
    // Upgrades skip the HTTP middleware: the same authorization (impersonation, then RBAC) is asked here.
    const asUser = await this.authorization.authorizeRequest(req, user);
    setRequestUser(req, asUser);
    const [namespace, name] = [decodeURIComponent(m[1]), decodeURIComponent(m[2])];
    // A WebSocket upgrade is a GET; like kube-apiserver (AuthorizePodWebsocketUpgradeCreatePermission) it also needs create.
    if (req.method === 'GET') {
      const subresource = m[3];
      await this.authorization.require(asUser, {
        resourceRequest: true,
        verb: 'create',
        apiGroup: '',
        resource: 'pods',
        subresource,
        namespace,
        name,
      });
    }
    const pod = await this.store.get({ group: '', resource: 'pods', namespace, name });
    if (!pod) throw ApiError.notFound({ group: '', resource: 'pods', name });
    const endpoint = new URL(await this.agents.endpointFor(pod));
    const podPath = `${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
    // kubelet's paths: /exec|attach/<ns>/<pod>/<container>, /portForward/<ns>/<pod>.
    const target =
      m[3] === 'portforward'
        ? `/portForward/${podPath}${url.search}`
        : `/${m[3]}/${podPath}/${encodeURIComponent(containerOf(pod, url.searchParams.get('container'), true))}${url.search}`;
    const method = m[3] === 'portforward' && req.method === 'POST' ? 'POST' : 'GET';
    const upstream = connect({
      host: endpoint.hostname,
      port: Number(endpoint.port),
      ...this.agents.tls,
      servername: endpoint.hostname === '127.0.0.1' ? undefined : endpoint.hostname,
    });
    await new Promise<void>((resolve, reject) => {
      upstream.once('secureConnect', resolve);
      upstream.once('error', (err) =>
        reject(ApiError.unavailable(`cannot reach the sandbox agent of pod ${name}: ${err.message}`)),
      );
    });
    const headers = PASS_HEADERS.filter((h) => req.headers[h] !== undefined).map(
      (h) => `${h}: ${String(req.headers[h])}`,
    );
    upstream.write([`${method} ${target} HTTP/1.1`, `host: ${endpoint.host}`, ...headers, '', ''].join('\r\n'));
    if (head.length > 0) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
    const close = (): void => {
      upstream.destroy();
      socket.destroy();
    };
    upstream.on('error', close);
    socket.on('error', close);
    upstream.on('close', close);
    socket.on('close', close);
  }
}
