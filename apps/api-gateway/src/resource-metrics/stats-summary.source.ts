import { Injectable, Logger } from '@nestjs/common';
import { ApiError, errorMessage, isJsonObject } from '@skiff/api-machinery';
import { STATS_SUMMARY_PATH, StatsSummary } from '@skiff/kube-types';
import { RegisteredHost } from '@skiff/messaging';
import { Agent, request } from 'node:https';
import { AgentDirectoryService } from '../pod-streams/agent-directory.service';

/** How long one agent may take to answer; a slower host is left out of this round. */
export const SUMMARY_TIMEOUT_MS = 2_000;
const IDLE_SOCKET_MS = 4_000;

/** The stats summaries of the sandbox hosts. */
export abstract class StatsSummarySource {
  /** One summary per live host that answered; hosts that did not are logged and left out. */
  abstract collect(): Promise<StatsSummary[]>;
}

/** Asks every live agent for its `/stats/summary` in parallel, over mutual TLS as the API server. */
@Injectable()
export class AgentStatsSummarySource extends StatsSummarySource {
  private readonly log = new Logger('resource-metrics');
  private readonly agent: Agent;

  constructor(private readonly agents: AgentDirectoryService) {
    super();
    // Idle sockets are dropped before the agents' servers drop them (Node's keep-alive timeout, 5 s): a request on a
    // socket the server just closed would fail, and the collections come about every 5 s.
    this.agent = new Agent({ keepAlive: true, ...agents.tls, timeout: IDLE_SOCKET_MS });
  }

  async collect(): Promise<StatsSummary[]> {
    let hosts: RegisteredHost[];
    try {
      hosts = await this.agents.liveHosts();
    } catch (err) {
      throw ApiError.unavailable(`cannot list the sandbox hosts: ${errorMessage(err)}`);
    }
    const summaries = await Promise.all(
      hosts.map((host) =>
        this.summaryOf(host).catch((err: unknown) => {
          this.log.warn(`no stats summary from sandbox host ${host.hostId} (${host.endpoint}): ${errorMessage(err)}`);
          return undefined;
        }),
      ),
    );
    return summaries.filter((s): s is StatsSummary => s !== undefined);
  }

  private summaryOf(host: RegisteredHost): Promise<StatsSummary> {
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(STATS_SUMMARY_PATH, host.endpoint),
        { agent: this.agent, headers: { accept: 'application/json' } },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('error', reject);
          res.on('end', () => {
            if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}: ${body.slice(0, 200)}`));
            try {
              resolve(parseSummary(body));
            } catch (err) {
              reject(err);
            }
          });
        },
      );
      // The whole exchange, not only an idle socket: a host that trickles is as late as one that is silent.
      const timer = setTimeout(
        () => req.destroy(new Error(`no answer within ${SUMMARY_TIMEOUT_MS} ms`)),
        SUMMARY_TIMEOUT_MS,
      );
      req.on('close', () => clearTimeout(timer));
      req.on('error', reject);
      req.end();
    });
  }
}

/** A summary's outer shape; what is inside is checked where it is read (StatsIndex). */
export function parseSummary(body: string): StatsSummary {
  const json: unknown = JSON.parse(body);
  if (!isJsonObject(json) || !isJsonObject(json.node) || !Array.isArray(json.pods))
    throw new Error('the answer is not a stats summary');
  return json as unknown as StatsSummary;
}
