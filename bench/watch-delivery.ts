import { Agent } from 'node:https';
import { Client } from 'pg';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { configMap, configMapsPath, rvOf } from './api-store';
import { KubeEndpoint, KubeHttpClient, KubeListLike, KubeObjectLike, openWatchStream, WatchStream } from './kube-http';
import { runOpenLoop } from './load';
import { FailureLog, LatencySummary, summarize } from './stats';

export interface WatchDeliveryOptions {
  namespace: string;
  watchers: number;
  writesPerSec: number;
  durationMs: number;
  /** How long to wait after the last write for stragglers. */
  drainMs: number;
  /** The cluster's database, to read when each change entered the outbox. */
  databaseUrl: string;
}

export interface WatchDeliveryResult {
  watchers: number;
  writesOk: number;
  writesSkipped: number;
  expected: number;
  delivered: number;
  /** Events whose resourceVersion was not above the previous one on the same watch. */
  outOfOrder: number;
  errorEvents: string[];
  streamsEndedEarly: number;
  openSeconds: number;
  /** receive time − committed_at of the outbox row (Postgres now(): the write transaction's start). */
  fromCommit: LatencySummary;
  /** receive time − the write's send time (the time embedded in the object). */
  fromSend: LatencySummary;
  /** receive time − the write's response time (may be negative: event before response). */
  fromResponse: LatencySummary;
  writeLatency: LatencySummary;
}

const RV_FIELD = /"resourceVersion":"(\d+)"/;
const SENT_AT_FIELD = /"sentAt":"([\d.]+)"/;

interface WatcherState {
  stream?: WatchStream;
  received: number;
  lastRv: number;
  ended: boolean;
}

interface WatchEventJson {
  type: string;
  object: { message?: string };
}

/**
 * Many watchers on one namespace, then a steady trickle of writes, each carrying its send
 * time, so every (watcher, event) pair yields one delivery latency.
 */
export async function measureWatchDelivery(
  endpoint: KubeEndpoint,
  http: KubeHttpClient,
  opts: WatchDeliveryOptions,
  failures: FailureLog,
  progress: (line: string) => void,
): Promise<WatchDeliveryResult> {
  const list = await http.send<KubeListLike>('GET', configMapsPath(opts.namespace));
  const fromRv = list.body.metadata.resourceVersion;
  // One socket per watcher, never pooled: each is its own long-lived client.
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity, ca: endpoint.ca });
  const states: WatcherState[] = Array.from({ length: opts.watchers }, () => ({
    received: 0,
    lastRv: 0,
    ended: false,
  }));
  const fromSend: number[] = [];
  const recvRv: number[] = [];
  const recvAt: number[] = [];
  const errorEvents: string[] = [];
  let outOfOrder = 0;
  let delivered = 0;
  let closing = false;
  const path = `${configMapsPath(opts.namespace)}?watch=true&resourceVersion=${fromRv}&timeoutSeconds=900`;
  try {
    const openStart = performance.now();
    // Batches bound the TLS handshake storm on a 2-core machine.
    for (let i = 0; i < states.length; i += 25) {
      const batch = states.slice(i, i + 25).map((st) => {
        st.stream = openWatchStream(endpoint, agent, path, (line, at) => {
          // Pick the two fields out without JSON.parse: the bench shares the 2 cores with the
          // gateway, and 25k parsed events/s would take CPU from the server under test.
          const rvMatch = RV_FIELD.exec(line);
          const sentMatch = SENT_AT_FIELD.exec(line);
          if (
            !line.startsWith('{"type":"ADDED"') &&
            !line.startsWith('{"type":"MODIFIED"') &&
            !line.startsWith('{"type":"DELETED"')
          ) {
            const e = JSON.parse(line) as WatchEventJson;
            if (e.type === 'ERROR') errorEvents.push(e.object.message ?? line.slice(0, 200));
            return;
          }
          if (!rvMatch || !sentMatch) {
            errorEvents.push(`event without resourceVersion or sentAt: ${line.slice(0, 200)}`);
            return;
          }
          const rv = Number(rvMatch[1]);
          if (rv <= st.lastRv) outOfOrder++;
          st.lastRv = rv;
          st.received++;
          delivered++;
          fromSend.push(at - Number(sentMatch[1]));
          recvRv.push(rv);
          recvAt.push(performance.timeOrigin + at);
        });
        void st.stream.ended.then(() => {
          st.ended = true;
          if (!closing) errorEvents.push('watch stream ended by the server before the bench closed it');
        });
        return st.stream.opened;
      });
      await Promise.all(batch);
    }
    const openSeconds = (performance.now() - openStart) / 1000;
    progress(
      `${opts.watchers} watches open in ${openSeconds.toFixed(1)} s; writing ${opts.writesPerSec}/s for ${opts.durationMs / 1000} s`,
    );

    const responseAt = new Map<number, number>();
    const created: string[] = [];
    let seq = 0;
    // Alternate ADDED (new object) and MODIFIED (merge-patch of an earlier one).
    const fire = async (): Promise<boolean> => {
      const n = seq++;
      const data = { sentAt: String(performance.now()), seq: String(n) };
      const patchTarget =
        n % 2 === 1 && created.length > 0 ? created[Math.floor(Math.random() * created.length)] : undefined;
      try {
        let obj: KubeObjectLike;
        if (patchTarget) {
          obj = (
            await http.send<KubeObjectLike>(
              'PATCH',
              configMapsPath(opts.namespace, patchTarget),
              { data },
              'application/merge-patch+json',
            )
          ).body;
        } else {
          const name = `watched-${n}`;
          obj = (
            await http.send<KubeObjectLike>(
              'POST',
              configMapsPath(opts.namespace),
              configMap(opts.namespace, name, data),
            )
          ).body;
          created.push(name);
        }
        responseAt.set(Number(rvOf(obj)), performance.timeOrigin + performance.now());
        return true;
      } catch (err) {
        const e = err as { method?: string; path?: string; status?: number; message?: string };
        failures.add({
          op: patchTarget ? 'watch-phase patch' : 'watch-phase create',
          method: e.method ?? '?',
          path: e.path ?? '?',
          status: e.status ?? 0,
          message: e.message ?? String(err),
        });
        return false;
      }
    };
    const writes = await runOpenLoop(opts.writesPerSec, opts.durationMs, fire, progress);
    const expected = writes.ok * opts.watchers;
    const drainUntil = performance.now() + opts.drainMs;
    while (delivered < expected && performance.now() < drainUntil && states.some((s) => !s.ended)) await sleep(50);
    progress(`delivered ${delivered}/${expected} events`);

    const committedAt = await outboxCommitTimes(opts.databaseUrl, opts.namespace);
    const fromResponse: number[] = [];
    const fromCommit: number[] = [];
    for (let i = 0; i < recvRv.length; i++) {
      const r = responseAt.get(recvRv[i]);
      if (r !== undefined) fromResponse.push(recvAt[i] - r);
      const c = committedAt.get(recvRv[i]);
      if (c !== undefined) fromCommit.push(recvAt[i] - c);
    }
    return {
      watchers: opts.watchers,
      writesOk: writes.ok,
      writesSkipped: writes.skipped,
      expected,
      delivered,
      outOfOrder,
      errorEvents: [...new Set(errorEvents)],
      streamsEndedEarly: states.filter((s) => s.ended).length,
      openSeconds,
      fromCommit: summarize(fromCommit),
      fromSend: summarize(fromSend),
      fromResponse: summarize(fromResponse),
      writeLatency: summarize(writes.latencies),
    };
  } finally {
    closing = true;
    for (const st of states) st.stream?.close();
    agent.destroy();
  }
}

/**
 * When each change of the namespace entered the outbox, as epoch ms. Same host clock as
 * ours; committed_at is now(), i.e. the transaction's start, so it is at or before commit.
 */
async function outboxCommitTimes(databaseUrl: string, namespace: string): Promise<Map<number, number>> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const res = await client.query<{ rv: string; ms: string }>(
      'SELECT resource_version AS rv, extract(epoch FROM committed_at) * 1000 AS ms FROM object_changes WHERE namespace = $1',
      [namespace],
    );
    return new Map(res.rows.map((r) => [Number(r.rv), Number(r.ms)]));
  } finally {
    await client.end();
  }
}
