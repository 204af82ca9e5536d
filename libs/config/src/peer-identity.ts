import { ApiError } from '@skiff/api-machinery';
import { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { COMPONENT_IDENTITIES } from './cluster-credentials';

/**
 * Who is on the other end of a TLS connection: the user (CN) of a client certificate the cluster CA signed, or
 * undefined when none was presented or it does not verify. Servers that ask for one pass `requestCert: true`,
 * `rejectUnauthorized: false` and the cluster CA, so an anonymous caller gets an HTTP 401, not a broken handshake.
 */
export function peerUser(socket: Socket): string | undefined {
  if (!(socket instanceof TLSSocket) || !socket.authorized) return undefined;
  const cn = socket.getPeerCertificate().subject?.CN;
  return typeof cn === 'string' && cn !== '' ? cn : undefined;
}

/** The user the API server is when it calls a sandbox agent or log-svc (logs, exec, attach, port-forward, stats). */
export const API_SERVER_PEER = COMPONENT_IDENTITIES['api-gateway'].user;

/** TLS server options that ask callers for a client certificate of the cluster CA without requiring one. */
export function clientCertRequest(ca: Buffer): { ca: Buffer; requestCert: true; rejectUnauthorized: false } {
  return { ca, requestCert: true, rejectUnauthorized: false };
}

/**
 * Lets only the API server through (a sandbox agent's and log-svc's endpoints): 401 without a verified client
 * certificate, 403 in kubelet's wording for another user of the cluster CA.
 */
export function requireApiServerPeer(socket: Socket): void {
  const user = peerUser(socket);
  if (user === undefined) throw ApiError.unauthorized();
  if (user !== API_SERVER_PEER) throw new ApiError(403, 'Forbidden', `Forbidden (user=${user})`);
}
