import { Inject, Injectable } from '@nestjs/common';
import { ApiGatewayConfig } from '@skiff/config';
import type { IncomingMessage } from 'node:http';
import { TLSSocket } from 'node:tls';
import { GATEWAY_CONFIG } from '../platform/config.provider';
import { AdminTokenService } from './admin-token.service';
import { looksLikeJwt } from './jwt';
import { TokenAuthentication, UserInfo } from './request-user';
import { ServiceAccountTokenService } from './service-account-token.service';
import { StaticTokenFile } from './static-token-file';

const BEARER = /^Bearer\s+(\S+)\s*$/i;
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
// bearertoken's default error, first of the reasons upstream's union of authenticators gathers.
const INVALID_TOKEN = 'invalid bearer token';

/**
 * Who a request is, as kube-apiserver's union authenticator: a client certificate signed by the cluster CA (CN is the
 * user, O the groups), else the bearer token: the admin token, a static token file entry, or a ServiceAccount JWT.
 * Every authenticated user is also in `system:authenticated`.
 */
@Injectable()
export class AuthenticatorService {
  private readonly staticTokens?: StaticTokenFile;

  constructor(
    @Inject(GATEWAY_CONFIG) config: ApiGatewayConfig,
    private readonly admin: AdminTokenService,
    private readonly serviceAccounts: ServiceAccountTokenService,
  ) {
    if (config.tokenAuthFile) this.staticTokens = StaticTokenFile.read(config.tokenAuthFile);
  }

  /** The request's user; undefined when it carries no credential or one that is not valid (a 401). */
  async authenticate(req: IncomingMessage): Promise<UserInfo | undefined> {
    const cert = clientCertificateUser(req);
    if (cert) return withAuthenticated(cert);
    const m = BEARER.exec(req.headers.authorization ?? '');
    return m ? (await this.authenticateToken(m[1])).user : undefined;
  }

  /**
   * A bearer token checked by the token authenticators in turn (a TokenReview's question too), for `audiences` (default
   * the API server's). The admin and static tokens know no audiences: they are the API server's, so good only when it
   * is asked for (upstream's audience-agnostic wrapper). No answer: `invalid bearer token`, with any reason found.
   */
  async authenticateToken(
    token: string,
    audiences: string[] = this.serviceAccounts.apiAudiences,
  ): Promise<TokenAuthentication> {
    const apiAudiences = audiences.filter((a) => this.serviceAccounts.apiAudiences.includes(a));
    const plain = apiAudiences.length
      ? (this.admin.userFor(`Bearer ${token}`) ?? this.staticTokens?.userFor(token))
      : undefined;
    if (plain) return { user: withAuthenticated(plain), audiences: apiAudiences };
    const jwt = looksLikeJwt(token) ? await this.serviceAccounts.authenticateToken(token, audiences) : {};
    if (jwt.user) return { user: withAuthenticated(jwt.user), audiences: jwt.audiences };
    return { error: jwt.error ? `[${INVALID_TOKEN}, ${jwt.error}]` : INVALID_TOKEN };
  }
}

// A connection's certificate does not change: its user is worked out once (getPeerCertificate builds a new object each call).
const certificateUsers = new WeakMap<TLSSocket, UserInfo | undefined>();

// A verified client certificate (the TLS server requests one and checks it against the cluster CA, not requiring it).
function clientCertificateUser(req: IncomingMessage): UserInfo | undefined {
  const socket = req.socket;
  if (!(socket instanceof TLSSocket) || !socket.authorized) return undefined;
  if (!certificateUsers.has(socket)) certificateUsers.set(socket, certificateUser(socket));
  return certificateUsers.get(socket);
}

function certificateUser(socket: TLSSocket): UserInfo | undefined {
  const cert = socket.getPeerCertificate();
  const cn = cert?.subject?.CN as string | string[] | undefined;
  if (!cn || Array.isArray(cn)) return undefined;
  if (cert.ext_key_usage && !cert.ext_key_usage.includes(CLIENT_AUTH)) return undefined;
  const o = cert.subject.O as string | string[] | undefined;
  return { username: cn, groups: o === undefined ? [] : Array.isArray(o) ? o : [o] };
}

function withAuthenticated(user: UserInfo): UserInfo {
  return user.groups.includes('system:authenticated')
    ? user
    : { ...user, groups: [...user.groups, 'system:authenticated'] };
}
