import { Injectable } from '@nestjs/common';
import { requireApiServerPeer } from '@skiff/config';
import { IncomingMessage } from 'node:http';

/**
 * Only the API server may use the agent's endpoint: the caller must present the API server's client certificate,
 * signed by the cluster CA (mutual TLS, as kubelet trusts kube-apiserver's kubelet-client certificate).
 */
@Injectable()
export class AgentAuthService {
  check(req: IncomingMessage): void {
    requireApiServerPeer(req.socket);
  }
}
