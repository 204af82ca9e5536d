import { Injectable } from '@nestjs/common';
import { ApiError, Clock, errorMessage } from '@skiff/api-machinery';
import { liveReplicaAddresses } from '@skiff/controller-runtime';
import { LOG_QUERY_LEASE_PREFIX } from '@skiff/messaging';
import { IncomingMessage } from 'node:http';
import { Agent, request } from 'node:https';
import { ObjectStoreRepository } from '../storage/object-store.repository';
import { AgentDirectoryService } from './agent-directory.service';
import { statusErrorOf } from './container-logs.service';

/**
 * log-svc's query endpoint as the API server reaches it: a live replica from the Leases they renew, over HTTPS with
 * mutual TLS (the API server's client certificate, as the sandbox agents are reached). Answers stream through unchanged.
 */
@Injectable()
export class LogSvcClient {
  private readonly agent: Agent;

  constructor(
    private readonly store: ObjectStoreRepository,
    private readonly agents: AgentDirectoryService,
    private readonly clock: Clock,
  ) {
    this.agent = new Agent({ keepAlive: true, ...agents.tls });
  }

  /** GET `path` (with its query) on a live replica; a non-200 answer is thrown as the Status it carries. */
  async get(path: string): Promise<IncomingMessage> {
    const { items } = await this.store.list({
      group: 'coordination.k8s.io',
      resource: 'leases',
      namespace: 'kube-system',
    });
    const addresses = liveReplicaAddresses(items, LOG_QUERY_LEASE_PREFIX, this.clock.nowMs());
    if (addresses.length === 0) throw ApiError.unavailable('the log service (log-svc) is not running');
    // A replica that died keeps its Lease live for a while: the next one is tried when it cannot be reached.
    const start = Math.floor(Math.random() * addresses.length);
    let res: IncomingMessage | undefined;
    let failure = '';
    for (let i = 0; i < addresses.length && !res; i++) {
      const address = addresses[(start + i) % addresses.length];
      res = await new Promise<IncomingMessage | undefined>((resolve) => {
        const req = request(new URL(path, `https://${address}`), { agent: this.agent }, resolve);
        req.on('error', (err) => {
          failure = errorMessage(err);
          resolve(undefined);
        });
        req.end();
      });
    }
    if (!res) throw ApiError.unavailable(`cannot reach the log service: ${failure}`);
    if (res.statusCode === 200) return res;
    throw await statusErrorOf(res);
  }
}
