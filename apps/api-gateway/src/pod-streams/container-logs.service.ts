import { Injectable } from '@nestjs/common';
import { ApiError, KubeObject, Status } from '@skiff/api-machinery';
import { IncomingMessage } from 'node:http';
import { Agent, request } from 'node:https';
import { AgentDirectoryService, containerOf } from './agent-directory.service';

// What `kubectl logs` may pass on to the node, as kubelet's containerLogs endpoint takes it.
const LOG_PARAMS = ['follow', 'previous', 'tailLines', 'sinceSeconds', 'sinceTime', 'timestamps', 'limitBytes'];

/** pods/log: picks the container and proxies to the containerLogs endpoint of the pod's agent. */
@Injectable()
export class ContainerLogsService {
  private readonly agent: Agent;

  constructor(private readonly agents: AgentDirectoryService) {
    this.agent = new Agent({ keepAlive: true, ...agents.tls });
  }

  async open(pod: KubeObject, query: URLSearchParams): Promise<IncomingMessage> {
    const container = containerOf(pod, query.get('container'), false);
    const endpoint = await this.agents.endpointFor(pod);
    const forward = new URLSearchParams();
    for (const p of LOG_PARAMS) {
      const v = query.get(p);
      if (v !== null) forward.set(p, v);
    }
    const url = new URL(
      `/containerLogs/${pod.metadata.namespace}/${pod.metadata.name}/${container}?${forward}`,
      endpoint,
    );
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(url, { agent: this.agent }, resolve);
      req.on('error', (err) =>
        reject(ApiError.unavailable(`cannot reach the sandbox agent of pod ${pod.metadata.name}: ${err.message}`)),
      );
      req.end();
    });
    if (res.statusCode === 200) return res;
    throw await statusErrorOf(res);
  }
}

/** A non-200 answer of an agent or log-svc as the ApiError it carries (a Status), or its text. */
export async function statusErrorOf(res: IncomingMessage): Promise<ApiError> {
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
  return new ApiError(res.statusCode ?? 500, status.reason ?? 'InternalError', status.message ?? body, status.details);
}
