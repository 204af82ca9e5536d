import { Container, Probe } from '@skiff/kube-types';
import { ContainerRecord } from '../pod-state.store';
import { HandlerResult, HandlerTarget, runHandler } from './handler-runner';

type ProbeKind = 'startup' | 'liveness' | 'readiness';

interface ProbeState {
  nextAt: number;
  successes: number;
  failures: number;
}

export interface ProbeOutcome {
  /** Set when liveness or startup gave up: the container must be killed and restarted per policy. */
  kill?: string;
  /** Messages of failed probes this round (for Unhealthy events). */
  unhealthy: string[];
}

const LABEL: Record<ProbeKind, string> = { startup: 'Startup', liveness: 'Liveness', readiness: 'Readiness' };

/**
 * kubelet's prober workers, driven by the pod's 1 s loop: each probe runs when due (initial
 * delay, period, timeout) and its thresholds turn results into started / ready / kill.
 */
export class ContainerProber {
  private readonly states = new Map<string, ProbeState>();

  constructor(
    private readonly run: (h: Probe, target: HandlerTarget, timeoutMs: number) => Promise<HandlerResult> = runHandler,
  ) {}

  async probe(container: Container, rec: ContainerRecord, target: HandlerTarget, now: number): Promise<ProbeOutcome> {
    const out: ProbeOutcome = { unhealthy: [] };
    const startedAt = rec.startedAtMs ?? now;
    if (container.startupProbe && !rec.started) {
      const r = await this.step('startup', container.startupProbe, target, startedAt, now);
      if (r === undefined) return out;
      if (r.passed) rec.started = true;
      if (r.failedMessage) out.unhealthy.push(r.failedMessage);
      if (r.gaveUp) out.kill = `Container ${container.name} failed startup probe, will be restarted`;
      if (!rec.started) return out;
    }
    if (container.livenessProbe) {
      const r = await this.step('liveness', container.livenessProbe, target, startedAt, now);
      if (r?.failedMessage) out.unhealthy.push(r.failedMessage);
      if (r?.gaveUp) out.kill = `Container ${container.name} failed liveness probe, will be restarted`;
    }
    if (container.readinessProbe) {
      const r = await this.step('readiness', container.readinessProbe, target, startedAt, now);
      if (r?.passed) rec.ready = true;
      if (r?.failedMessage) out.unhealthy.push(r.failedMessage);
      if (r?.gaveUp) rec.ready = false;
    }
    return out;
  }

  /** Drops the probe state of a container instance (it exited or the pod is gone). */
  forget(runtimeId: string): void {
    for (const key of this.states.keys()) if (key.startsWith(`${runtimeId}/`)) this.states.delete(key);
  }

  private async step(
    kind: ProbeKind,
    p: Probe,
    target: HandlerTarget,
    startedAt: number,
    now: number,
  ): Promise<{ passed: boolean; gaveUp: boolean; failedMessage?: string } | undefined> {
    const key = `${target.runtimeId}/${kind}`;
    let s = this.states.get(key);
    if (!s)
      this.states.set(
        key,
        (s = { nextAt: startedAt + (p.initialDelaySeconds ?? 0) * 1000, successes: 0, failures: 0 }),
      );
    if (now < s.nextAt) return undefined;
    s.nextAt = now + (p.periodSeconds ?? 10) * 1000;
    const r = await this.run(p, target, (p.timeoutSeconds ?? 1) * 1000);
    if (r.ok) {
      s.successes++;
      s.failures = 0;
      return { passed: s.successes >= (kind === 'readiness' ? (p.successThreshold ?? 1) : 1), gaveUp: false };
    }
    s.failures++;
    s.successes = 0;
    const gaveUp = s.failures >= (p.failureThreshold ?? 3);
    // A liveness/startup give-up restarts the instance; its successor starts counting afresh.
    if (gaveUp && kind !== 'readiness') s.failures = 0;
    return { passed: false, gaveUp, failedMessage: `${LABEL[kind]} probe failed: ${r.message}` };
  }
}
