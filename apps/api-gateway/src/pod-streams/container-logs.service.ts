import { Inject, Injectable } from '@nestjs/common';
import { ApiError, isJsonObject, KubeObject, Status } from '@skiff/api-machinery';
import { ApiGatewayConfig } from '@skiff/config';
import { readFileSync } from 'node:fs';
import { IncomingMessage } from 'node:http';
import { Agent, request } from 'node:https';
import { GATEWAY_CONFIG } from '../platform/config.provider';
import { AgentDirectoryService } from './agent-directory.service';

// What `kubectl logs` may pass on to the node, as kubelet's containerLogs endpoint takes it.
const LOG_PARAMS = ['follow', 'previous', 'tailLines', 'sinceSeconds', 'sinceTime', 'timestamps', 'limitBytes'];

/** pods/log: picks the container and proxies to the containerLogs endpoint of the pod's agent. */
@Injectable()
export class ContainerLogsService {
  private readonly agent: Agent;
  private readonly token: string;

  constructor(
    @Inject(GATEWAY_CONFIG) config: ApiGatewayConfig,
    private readonly agents: AgentDirectoryService,
  ) {
    this.agent = new Agent({ keepAlive: true, ca: readFileSync(config.caFile) });
    this.token = readFileSync(config.adminTokenFile, 'utf8').trim();
  }

  async open(pod: KubeObject, query: URLSearchParams): Promise<IncomingMessage> {
    const container = this.containerOf(pod, query.get('container'));
    const endpoint = await this.agents.endpointFor(pod);
    const forward = new URLSearchParams();
    for (const p of LOG_PARAMS) {
      const v = query.get(p);
      if (v !== null) forward.set(p, v);
    }
    const url = new URL(`/containerLogs/${pod.metadata.namespace}/${pod.metadata.name}/${container}?${forward}`, endpoint);
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(url, { agent: this.agent, headers: { authorization: `Bearer ${this.token}` } }, resolve);
      req.on('error', (err) => reject(ApiError.unavailable(`cannot reach the sandbox agent of pod ${pod.metadata.name}: ${err.message}`)));
      req.end();
    });
    if (res.statusCode === 200) return res;
    const body = await new Promise<string>((resolve) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve(text));
    });
    let status: Partial<Status> = {};
    try {
      status = JSON.parse(body) as Status;
    } catch {
      // not a Status: use the text
    }
    throw new ApiError(res.statusCode ?? 500, status.reason ?? 'InternalError', status.message ?? body);
  }

  // Upstream's rules: the named container (init containers too), or the only one.
  private containerOf(pod: KubeObject, requested: string | null): string {
    const spec = isJsonObject(pod.spec) ? pod.spec : {};
    const names = (field: string): string[] => (Array.isArray(spec[field]) ? (spec[field] as { name?: string }[]).map((c) => c.name ?? '') : []);
    const containers = names('containers');
    const all = [...names('initContainers'), ...containers];
    const name = pod.metadata.name;
    if (requested) {
      if (!all.includes(requested)) throw ApiError.badRequest(`container ${requested} is not valid for pod ${name}`);
      return requested;
    }
    if (containers.length === 1) return containers[0];
    throw ApiError.badRequest(`a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`);
  }
}
