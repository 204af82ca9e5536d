import { Inject, Injectable } from '@nestjs/common';
import { ApiGatewayConfig } from '@skiff/config';
import type { IncomingMessage } from 'node:http';
import { TLSSocket } from 'node:tls';
import { GATEWAY_CONFIG } from '../platform/config.provider';
import { AdminTokenService } from './admin-token.service';
import { looksLikeJwt } from './jwt';
import { UserInfo } from './request-user';
import { ServiceAccountTokenService } from './service-account-token.service';
import { StaticTokenFile } from './static-token-file';

const BEARER = /^Bearer\s+(\S+)\s*$/i;
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

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
    const authorization = req.headers.authorization;
    const m = BEARER.exec(authorization ?? '');
    if (!m) return undefined;
    const token = m[1];
    const user =
      this.admin.userFor(authorization) ??
      this.staticTokens?.userFor(token) ??
      (looksLikeJwt(token) ? await this.serviceAccounts.authenticate(token) : undefined);
    return user && withAuthenticated(user);
  }
}

// A verified client certificate (the TLS server requests one and checks it against the cluster CA, not requiring it).
function clientCertificateUser(req: IncomingMessage): UserInfo | undefined {
  const socket = req.socket;
  if (!(socket instanceof TLSSocket) || !socket.authorized) return undefined;
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
