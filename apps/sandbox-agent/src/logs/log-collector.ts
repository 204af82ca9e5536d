import { Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Clock, errorMessage } from '@skiff/api-machinery';
import { EventRecorder, InterruptibleSleep } from '@skiff/controller-runtime';
import { Container, Pod } from '@skiff/kube-types';
import { FSWatcher, watch } from 'node:fs';
import * as path from 'node:path';
import { PodLogs } from '../pods/pod-logs';
import { PodRecord } from '../pods/pod-state.store';
import { CriLogSource } from './cri-log.source';
import { FileLogSource } from './file-log.source';
import { LogBatchPublisher } from './log-batch.publisher';
import { BatchCursor, BatchMeta, BatchPod, LogBatcher } from './log-batcher';
import { LogCollectionConfig } from './log-collection.config';
import { ContainerLogTargets, containerLogTargets, logCollectionEnabled } from './log-config';
import { LogOffsetsStore } from './log-offsets.store';
import { LogShipper } from './log-shipper';
import { LogSource, LogSourceContext } from './log-source';
import { LogSpool } from './log-spool';
import { PodLogState } from './pod-log-state';

/** Where a pod's files are on this host. */
export interface PodLogPaths {
  /** conmon's CRI log files of a container, `<dir>/<restartCount>.log`. */
  containerLogDir(podUid: string, container: string): string;
  /** A volume of the pod, on the host. */
  volumeDir(podUid: string, volume: string): string;
}

interface PodCollection {
  uid: string;
  /** The pod as last seen, for its events. */
  pod: Pod;
  containers: Set<string>;
  /** Targets whose sources are made once the pod's saved offsets are loaded. */
  pending: ContainerLogTargets[];
  state?: PodLogState;
  sources: ScheduledSource[];
}

/** A source is looked at again at once while it has lines, and less often the longer it has had none. */
interface ScheduledSource {
  source: LogSource;
  nextAt: number;
  idleMs: number;
  /** Watches a quiet source's directory: a change makes it due at once. */
  watcher?: FSWatcher;
}

type Request = { kind: 'drain' | 'forget'; uid: string; done: () => void };

const READ_BUFFER_BYTES = 1 << 20;
// Drops are told to each pod at most this often.
const DROP_REPORT_MS = 5_000;
const WARN_EVERY_MS = 60_000;

/**
 * The agent's log collection: follows the files each pod's `aliyun_logs_*` env names, one pump reading them in
 * turn into batches; the shipper publishes the batches to JetStream (or spools them while it is away); offsets
 * are saved once JetStream has what they cover. Never waits on a container: conmon writes the files regardless.
 */
export class LogCollector extends PodLogs implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(LogCollector.name);
  private readonly pods = new Map<string, PodCollection>();
  /** Pods with nothing to collect, by the number of containers they had then (a new ephemeral one is looked at). */
  private readonly idle = new Map<string, number>();
  private readonly requests: Request[] = [];
  private readonly buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  private readonly batcher: LogBatcher;
  private readonly shipper: LogShipper;
  private readonly spool: LogSpool;
  private readonly offsets: LogOffsetsStore;
  private readonly spooledAhead = new Map<string, Map<number, number>>();
  private readonly ackedEarly = new Map<string, Map<number, number>>();
  private readonly dropped = new Map<string, BatchPod>();
  private readonly warnedAt = new Map<string, number>();
  private lastSave = 0;
  private lastDropReport = 0;
  private pumping?: Promise<void>;
  private readonly nap = new InterruptibleSleep();
  private stopped = false;
  private stopping?: Promise<void>;

  constructor(
    private readonly config: LogCollectionConfig,
    private readonly paths: PodLogPaths,
    private readonly events: Pick<EventRecorder, 'record'>,
    publisher: LogBatchPublisher,
    private readonly clock: Clock,
  ) {
    super();
    this.offsets = new LogOffsetsStore(config.stateDir);
    this.spool = new LogSpool(path.join(config.stateDir, 'log-spool'), config.spoolBytes);
    this.shipper = new LogShipper(
      publisher,
      this.spool,
      { delivered: (m) => this.delivered(m), dropped: (ms) => this.droppedBySpool(ms) },
      clock,
      { retryMinMs: config.retryMinMs, retryMaxMs: config.retryMaxMs },
    );
    this.batcher = new LogBatcher(config.hostId, { ...config.batch, maxPayload: publisher.maxPayload() }, clock, (b) =>
      this.shipper.submit(b),
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  /** Takes up the spool an earlier run left, then starts shipping and reading. */
  async start(): Promise<void> {
    for (const meta of await this.spool.load()) for (const c of meta.cursors) raise(this.spooledAhead, c);
    this.shipper.start();
    this.pumping = this.pump();
  }

  /** Stops reading and shipping; saves what JetStream acknowledged. Lines read but not delivered are read again. */
  stop(): Promise<void> {
    this.stopping ??= this.halt();
    return this.stopping;
  }

  private async halt(): Promise<void> {
    this.stopped = true;
    this.nap.wake();
    await this.shipper.stop();
    await this.pumping;
    for (const r of this.requests.splice(0)) r.done();
    await this.saveDirty(true);
    for (const pc of this.pods.values()) for (const s of pc.sources) await this.close(s);
  }

  follow(record: PodRecord): void {
    if (record.sandbox) this.register(record);
  }

  async drain(record: PodRecord): Promise<void> {
    const pc = this.register(record);
    if (!pc || this.stopped) return;
    const drained = this.request('drain', pc.uid).then(() => this.shipper.settled());
    if (!(await this.within(drained)))
      this.log.warn(
        `pod ${record.namespace}/${record.name}: logs not all shipped within ${this.config.drainTimeoutMs} ms`,
      );
  }

  async forget(uid: string): Promise<void> {
    this.idle.delete(uid);
    for (const key of this.warnedAt.keys()) if (key.startsWith(`${uid}/`)) this.warnedAt.delete(key);
    if (this.pods.has(uid) && !this.stopped) await this.within(this.request('forget', uid));
    else await this.offsets.remove(uid);
  }

  /** The pods being collected from (diagnostics, specs). */
  collecting(): string[] {
    return [...this.pods.keys()];
  }

  private register(record: PodRecord): PodCollection | undefined {
    const pod = record.pod;
    const containers: Container[] = [
      ...(pod.spec.initContainers ?? []),
      ...pod.spec.containers,
      ...((pod.spec.ephemeralContainers ?? []) as Container[]),
    ];
    const known = this.pods.get(record.uid);
    if (known) {
      known.pod = pod;
      if (containers.length > known.containers.size) this.addTargets(known, containers);
      return known;
    }
    if (this.stopped || this.idle.get(record.uid) === containers.length) return undefined;
    const pc: PodCollection = { uid: record.uid, pod, containers: new Set(), pending: [], sources: [] };
    if (logCollectionEnabled(pod)) this.addTargets(pc, containers);
    if (!pc.pending.length) {
      this.idle.set(record.uid, containers.length);
      return undefined;
    }
    this.pods.set(record.uid, pc);
    this.nap.wake();
    return pc;
  }

  private addTargets(pc: PodCollection, containers: Container[]): void {
    for (const c of containers) {
      if (pc.containers.has(c.name)) continue;
      pc.containers.add(c.name);
      const { targets, problems } = containerLogTargets(pc.pod, c);
      for (const p of problems) void this.events.record(pc.pod, 'Warning', 'InvalidLogConfig', p);
      if (targets.stdout.length || targets.files.length) pc.pending.push(targets);
    }
  }

  // The pod code waits on the collection at most the drain timeout: a pod's deletion never hangs on its logs.
  private async within(work: Promise<void>): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), this.config.drainTimeoutMs)));
    const done = await Promise.race([work.then(() => true), timeout]);
    clearTimeout(timer);
    return done;
  }

  private request(kind: Request['kind'], uid: string): Promise<void> {
    return new Promise((done) => {
      this.requests.push({ kind, uid, done });
      this.nap.wake();
    });
  }

  /** One loop reads every source in turn, one buffer at a time, and seals batches as they fill or age. */
  private async pump(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.serveRequests();
        let more = false;
        for (const pc of [...this.pods.values()]) {
          await this.ready(pc);
          for (const s of pc.sources) {
            if (this.stopped) break;
            if (s.nextAt > this.clock.nowMs()) continue;
            await this.room();
            if (await this.readSafely(pc, s.source, false)) {
              s.idleMs = 0;
              more = true;
            } else this.quiet(s);
          }
        }
        this.batcher.sealIfDue();
        await this.housekeeping();
        if (!more && !this.requests.length && !this.stopped)
          await this.nap.sleep(Math.min(this.config.pollMs, this.batcher.dueInMs() ?? this.config.pollMs));
      } catch (err) {
        this.warn('pump', `log collection: ${errorMessage(err)}`);
        await this.nap.sleep(this.config.pollMs);
      }
    }
  }

  // Polled less and less often, then watched: idle pods cost next to nothing, busy ones no inotify events.
  private quiet(s: ScheduledSource): void {
    s.idleMs = Math.min(Math.max(this.config.pollMs, s.idleMs * 2), this.config.idlePollMs);
    const dir = s.idleMs >= this.config.idlePollMs && !s.watcher ? s.source.watchDir() : undefined;
    if (dir) {
      try {
        s.watcher = watch(dir, { persistent: false }, () => this.stir(s));
        s.watcher.on('error', () => this.stir(s));
      } catch {
        // Not there (yet): polled.
      }
    }
    s.nextAt = this.clock.nowMs() + (s.watcher ? this.config.watchedPollMs : s.idleMs);
  }

  private stir(s: ScheduledSource): void {
    s.watcher?.close();
    s.watcher = undefined;
    s.idleMs = 0;
    s.nextAt = 0;
    this.nap.wake();
  }

  private async close(s: ScheduledSource): Promise<void> {
    s.watcher?.close();
    s.watcher = undefined;
    await s.source.close();
  }

  private async serveRequests(): Promise<void> {
    while (this.requests.length) {
      const req = this.requests.shift()!;
      const pc = this.pods.get(req.uid);
      try {
        if (pc && req.kind === 'drain') {
          await this.ready(pc);
          for (const { source } of pc.sources) {
            while (!this.stopped && (await this.readSafely(pc, source, true))) await this.room();
          }
          this.batcher.seal();
        } else if (pc && req.kind === 'forget') {
          for (const s of pc.sources) await this.close(s);
          this.pods.delete(req.uid);
          await this.offsets.remove(req.uid);
        }
      } finally {
        req.done();
      }
    }
  }

  // Loads the pod's saved offsets once, then makes the sources of targets not read yet.
  private async ready(pc: PodCollection): Promise<void> {
    if (!pc.state) {
      const saved = await this.offsets.load(pc.uid);
      const { namespace = 'default', name = '' } = pc.pod.metadata;
      pc.state = new PodLogState(
        { uid: pc.uid, namespace, name },
        saved,
        this.spooledAhead.get(pc.uid),
        this.ackedEarly.get(pc.uid),
      );
      this.spooledAhead.delete(pc.uid);
      this.ackedEarly.delete(pc.uid);
    }
    if (!pc.pending.length) return;
    const ctx: LogSourceContext = {
      state: pc.state,
      host: this.config.hostId,
      clock: this.clock,
      buffer: this.buffer,
      sink: this.batcher,
    };
    for (const t of pc.pending.splice(0)) {
      if (t.stdout.length)
        pc.sources.push(
          scheduled(new CriLogSource(ctx, t.container, this.paths.containerLogDir(pc.uid, t.container), t.stdout)),
        );
      for (const f of t.files)
        pc.sources.push(scheduled(new FileLogSource(ctx, t.container, f, this.paths.volumeDir(pc.uid, f.volume))));
    }
  }

  // A new file's serial is on disk before any record of it leaves (`LogSource.read` returns to let this happen).
  private async readSafely(pc: PodCollection, source: LogSource, final: boolean): Promise<boolean> {
    try {
      const more = await source.read(final);
      if (pc.state!.unsaved) await this.save(pc.state!);
      return more;
    } catch (err) {
      this.warn(
        `${pc.uid}/${source.key}`,
        `pod ${pc.pod.metadata.namespace}/${pc.pod.metadata.name}: ${source.key}: ${errorMessage(err)}`,
      );
      return false;
    }
  }

  // Reading pauses while JetStream is slow to take batches; when it is away they go to the spool instead.
  private async room(): Promise<void> {
    if (this.shipper.backlog >= this.config.maxQueuedBatches) await this.shipper.below(this.config.maxQueuedBatches);
  }

  // A spooled batch may be delivered after a restart before its pod is followed again: its offsets wait for it.
  private delivered(meta: BatchMeta): void {
    for (const c of meta.cursors) {
      const state = this.pods.get(c.pod)?.state;
      if (state) state.ack(c.serial, c.offset);
      else if (this.spooledAhead.has(c.pod)) raise(this.ackedEarly, c);
    }
  }

  private droppedBySpool(metas: BatchMeta[]): void {
    for (const m of metas) {
      for (const p of m.pods) {
        const d = this.dropped.get(p.uid);
        if (d) d.lines += p.lines;
        else this.dropped.set(p.uid, { ...p });
      }
    }
  }

  private async housekeeping(): Promise<void> {
    const now = this.clock.nowMs();
    if (now - this.lastSave >= this.config.saveEveryMs) {
      this.lastSave = now;
      await this.saveDirty(false);
    }
    if (this.dropped.size && now - this.lastDropReport >= DROP_REPORT_MS) {
      this.lastDropReport = now;
      const size = this.config.spoolBytes;
      const bound = size >= 2 ** 20 ? `${Math.round(size / 2 ** 20)} MiB` : `${Math.round(size / 1024)} KiB`;
      for (const d of this.dropped.values()) {
        const involved: Pod = this.pods.get(d.uid)?.pod ?? {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { namespace: d.namespace, name: d.name, uid: d.uid },
          spec: { containers: [] },
        };
        void this.events.record(
          involved,
          'Warning',
          'LogLinesDropped',
          `Dropped ${d.lines} log lines: the log spool of host ${this.config.hostId} is full (${bound}) while the log store is unreachable`,
        );
      }
      this.dropped.clear();
    }
  }

  private async saveDirty(all: boolean): Promise<void> {
    for (const pc of this.pods.values()) {
      if (pc.state && (all || pc.state.dirty || pc.state.unsaved)) await this.save(pc.state);
    }
  }

  private async save(state: PodLogState): Promise<void> {
    state.unsaved = false;
    state.dirty = false;
    await this.offsets.save(state.snapshot());
  }

  private warn(key: string, message: string): void {
    const now = this.clock.nowMs();
    if (now - (this.warnedAt.get(key) ?? -Infinity) < WARN_EVERY_MS) return;
    this.warnedAt.set(key, now);
    this.log.warn(message);
  }
}

/** Raises the pod's offset for the cursor's file to the cursor's. */
function raise(offsets: Map<string, Map<number, number>>, c: BatchCursor): void {
  const byFile = offsets.get(c.pod) ?? new Map<number, number>();
  byFile.set(c.serial, Math.max(byFile.get(c.serial) ?? 0, c.offset));
  offsets.set(c.pod, byFile);
}

function scheduled(source: LogSource): ScheduledSource {
  return { source, nextAt: 0, idleMs: 0 };
}
