// How a recommendation becomes the replica count to set (horizontal.go): stabilization windows over kept
// recommendations, rate limits (without behavior: at most max(2×current, 4); with it: the policies over the
// scale events of their periods) and minReplicas/maxReplicas, each with the condition upstream reports.

/** autoscaling/v2 HPAScalingRules, as the API server defaults them (stabilizationWindowSeconds may stay unset for scaleDown). */
export interface ScalingRules {
  stabilizationWindowSeconds?: number;
  selectPolicy?: string;
  policies?: { type: string; value: number; periodSeconds: number }[];
}

export interface Behavior {
  scaleUp?: ScalingRules;
  scaleDown?: ScalingRules;
}

/** A condition the normalization decided: AbleToScale (True) and ScalingLimited. */
export interface Verdict {
  reason: string;
  message: string;
}

export interface Normalized {
  replicas: number;
  ableToScale: Verdict;
  /** True when the limit changed the stabilized recommendation. */
  limited: boolean;
  scalingLimited: Verdict;
}

interface Recommendation {
  replicas: number;
  atMs: number;
}

interface ScaleEvent {
  change: number;
  atMs: number;
  outdated: boolean;
}

const SCALE_UP_LIMIT_FACTOR = 2;
const SCALE_UP_LIMIT_MINIMUM = 4;
// Upstream's condition messages, by reason.
const MESSAGES = {
  ReadyForNewScale: 'recommended size matches current size',
  DesiredWithinRange: 'the desired count is within the acceptable range',
  TooManyReplicas: 'the desired replica count is more than the maximum replica count',
  TooFewReplicas: 'the desired replica count is less than the minimum replica count',
  ScaleUpLimit: 'the desired replica count is increasing faster than the maximum scale rate',
  ScaleDownLimit: 'the desired replica count is decreasing faster than the maximum scale rate',
  ScaleDownStabilized:
    'recent recommendations were higher than current one, applying the highest recent recommendation',
  ScaleUpStabilized: 'recent recommendations were lower than current one, applying the lowest recent recommendation',
};
const verdict = (reason: keyof typeof MESSAGES): Verdict => ({ reason, message: MESSAGES[reason] });
const READY = verdict('ReadyForNewScale');
const WITHIN_RANGE = verdict('DesiredWithinRange');
const TOO_MANY = verdict('TooManyReplicas');
const TOO_FEW = verdict('TooFewReplicas');
const SCALE_UP_LIMIT = verdict('ScaleUpLimit');
const SCALE_DOWN_LIMIT = verdict('ScaleDownLimit');
const SCALE_DOWN_STABILIZED = verdict('ScaleDownStabilized');
const SCALE_UP_STABILIZED = verdict('ScaleUpStabilized');

export interface NormalizeInput {
  key: string;
  currentReplicas: number;
  desiredReplicas: number;
  minReplicas: number;
  maxReplicas: number;
  nowMs: number;
}

/**
 * One HPA controller's memory of recent recommendations and scale events, per HPA key. Upstream
 * keeps it in process memory too: it starts empty with each leadership term.
 */
export class ScalingHistory {
  private readonly recommendations = new Map<string, Recommendation[]>();
  private readonly scaleUps = new Map<string, ScaleEvent[]>();
  private readonly scaleDowns = new Map<string, ScaleEvent[]>();

  constructor(private readonly downscaleStabilizationMs: number) {}

  forget(key: string): void {
    this.recommendations.delete(key);
    this.scaleUps.delete(key);
    this.scaleDowns.delete(key);
  }

  /** recordInitialRecommendation: the first look remembers the current size as a recommendation. */
  recordInitial(key: string, currentReplicas: number, nowMs: number): void {
    if (!this.recommendations.has(key)) this.recommendations.set(key, [{ replicas: currentReplicas, atMs: nowMs }]);
  }

  /** normalizeDesiredReplicas: no behavior given. */
  normalize(input: NormalizeInput): Normalized {
    const stabilized = this.stabilize(input.key, input.desiredReplicas, input.nowMs);
    const ableToScale = stabilized !== input.desiredReplicas ? SCALE_DOWN_STABILIZED : READY;
    const { replicas, verdict } = limitWithRules(
      input.currentReplicas,
      stabilized,
      input.minReplicas,
      input.maxReplicas,
    );
    return { replicas, ableToScale, limited: replicas !== stabilized, scalingLimited: verdict };
  }

  /** normalizeDesiredReplicasWithBehaviors. */
  normalizeWithBehavior(input: NormalizeInput, behavior: Behavior): Normalized {
    const up = behavior.scaleUp ?? {};
    // maybeInitScaleDownStabilizationWindow: an unset scale-down window is the controller's.
    const down = {
      ...behavior.scaleDown,
      stabilizationWindowSeconds:
        behavior.scaleDown?.stabilizationWindowSeconds ?? this.downscaleStabilizationMs / 1000,
    };
    const stabilized = this.stabilizeWithBehavior(input, up, down);
    const rated = { ...input, desiredReplicas: stabilized.replicas };
    const { replicas, verdict } = this.limitWithBehavior(rated, up, down);
    return {
      replicas,
      ableToScale: stabilized.replicas !== input.desiredReplicas ? stabilized.verdict : READY,
      limited: replicas !== stabilized.replicas,
      scalingLimited: verdict,
    };
  }

  /** storeScaleEvent: only with a behavior, whose policies read them. */
  recordScale(key: string, behavior: Behavior | undefined, from: number, to: number, nowMs: number): void {
    if (!behavior) return;
    const upward = to > from;
    const rules = (upward ? behavior.scaleUp : behavior.scaleDown) ?? {};
    const table = upward ? this.scaleUps : this.scaleDowns;
    const events = table.get(key) ?? [];
    const cutoff = nowMs - longestPeriodSeconds(rules) * 1000;
    for (const e of events) if (e.atMs < cutoff) e.outdated = true;
    const event: ScaleEvent = { change: Math.abs(to - from), atMs: nowMs, outdated: false };
    // The last outdated slot is reused, as upstream does.
    const reuse = events.map((e) => e.outdated).lastIndexOf(true);
    if (reuse >= 0) events[reuse] = event;
    else events.push(event);
    table.set(key, events);
  }

  // stabilizeRecommendation: the highest recommendation of the downscale window; the oldest stale one is replaced.
  private stabilize(key: string, desired: number, nowMs: number): number {
    const cutoff = nowMs - this.downscaleStabilizationMs;
    const recs = this.recommendations.get(key) ?? [];
    let max = desired;
    let old = -1;
    recs.forEach((r, i) => {
      if (r.atMs < cutoff) old = i;
      else if (r.replicas > max) max = r.replicas;
    });
    this.keep(key, recs, old, { replicas: desired, atMs: nowMs });
    return max;
  }

  private stabilizeWithBehavior(
    input: NormalizeInput,
    up: ScalingRules,
    down: ScalingRules,
  ): { replicas: number; verdict: Verdict } {
    const { key, desiredReplicas, currentReplicas, nowMs } = input;
    const upCutoff = nowMs - (up.stabilizationWindowSeconds ?? 0) * 1000;
    const downCutoff = nowMs - (down.stabilizationWindowSeconds ?? 0) * 1000;
    const recs = this.recommendations.get(key) ?? [];
    let upRecommendation = desiredReplicas;
    let downRecommendation = desiredReplicas;
    let old = -1;
    recs.forEach((r, i) => {
      if (r.atMs > upCutoff) upRecommendation = Math.min(r.replicas, upRecommendation);
      if (r.atMs > downCutoff) downRecommendation = Math.max(r.replicas, downRecommendation);
      if (r.atMs < upCutoff && r.atMs < downCutoff) old = i;
    });
    let replicas = currentReplicas;
    if (replicas < upRecommendation) replicas = upRecommendation;
    if (replicas > downRecommendation) replicas = downRecommendation;
    this.keep(key, recs, old, { replicas: desiredReplicas, atMs: nowMs });
    return { replicas, verdict: desiredReplicas >= currentReplicas ? SCALE_UP_STABILIZED : SCALE_DOWN_STABILIZED };
  }

  private keep(key: string, recs: Recommendation[], old: number, rec: Recommendation): void {
    if (old >= 0) recs[old] = rec;
    else recs.push(rec);
    this.recommendations.set(key, recs);
  }

  // convertDesiredReplicasWithBehaviorRate.
  private limitWithBehavior(
    input: NormalizeInput,
    up: ScalingRules,
    down: ScalingRules,
  ): { replicas: number; verdict: Verdict } {
    const { key, currentReplicas, desiredReplicas, minReplicas, maxReplicas, nowMs } = input;
    const ups = this.scaleUps.get(key) ?? [];
    const downs = this.scaleDowns.get(key) ?? [];
    if (desiredReplicas > currentReplicas) {
      const limit = Math.max(scaleUpLimit(currentReplicas, ups, downs, up, nowMs), currentReplicas);
      const [allowed, verdict] = maxReplicas > limit ? [limit, SCALE_UP_LIMIT] : [maxReplicas, TOO_MANY];
      if (desiredReplicas > allowed) return { replicas: allowed, verdict };
    } else if (desiredReplicas < currentReplicas) {
      const limit = Math.min(scaleDownLimit(currentReplicas, ups, downs, down, nowMs), currentReplicas);
      const [allowed, verdict] = minReplicas < limit ? [limit, SCALE_DOWN_LIMIT] : [minReplicas, TOO_FEW];
      if (desiredReplicas < allowed) return { replicas: allowed, verdict };
    }
    return { replicas: desiredReplicas, verdict: WITHIN_RANGE };
  }
}

// convertDesiredReplicasWithRules: min and max, and the scale-up limit of max(2×current, 4).
function limitWithRules(
  currentReplicas: number,
  desired: number,
  minReplicas: number,
  maxReplicas: number,
): { replicas: number; verdict: Verdict } {
  const limit = Math.max(SCALE_UP_LIMIT_FACTOR * currentReplicas, SCALE_UP_LIMIT_MINIMUM);
  const [maximum, verdict] = maxReplicas > limit ? [limit, SCALE_UP_LIMIT] : [maxReplicas, TOO_MANY];
  if (desired < minReplicas) return { replicas: minReplicas, verdict: TOO_FEW };
  if (desired > maximum) return { replicas: maximum, verdict };
  return { replicas: desired, verdict: WITHIN_RANGE };
}

function longestPeriodSeconds(rules: ScalingRules): number {
  return Math.max(0, ...(rules.policies ?? []).map((p) => p.periodSeconds));
}

// getReplicasChangePerPeriod: the changes of the events inside the period.
function changeInPeriod(periodSeconds: number, events: ScaleEvent[], nowMs: number): number {
  const cutoff = nowMs - periodSeconds * 1000;
  return events.filter((e) => e.atMs > cutoff).reduce((sum, e) => sum + e.change, 0);
}

// The replicas at the start of a policy's period: what was added since is taken off, what was removed is put back.
function periodStart(current: number, ups: ScaleEvent[], downs: ScaleEvent[], period: number, nowMs: number): number {
  return current - changeInPeriod(period, ups, nowMs) + changeInPeriod(period, downs, nowMs);
}

// calculateScaleUpLimitWithScalingRules.
function scaleUpLimit(current: number, ups: ScaleEvent[], downs: ScaleEvent[], rules: ScalingRules, nowMs: number) {
  if (rules.selectPolicy === 'Disabled') return current;
  const pick = rules.selectPolicy === 'Min' ? Math.min : Math.max;
  let result = rules.selectPolicy === 'Min' ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  for (const p of rules.policies ?? []) {
    const start = periodStart(current, ups, downs, p.periodSeconds, nowMs);
    // Rounded up so a small percentage still adds a pod.
    const proposed = p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    result = pick(result, proposed);
  }
  return result;
}

// calculateScaleDownLimitWithBehaviors.
function scaleDownLimit(current: number, ups: ScaleEvent[], downs: ScaleEvent[], rules: ScalingRules, nowMs: number) {
  if (rules.selectPolicy === 'Disabled') return current;
  const pick = rules.selectPolicy === 'Min' ? Math.max : Math.min;
  let result = rules.selectPolicy === 'Min' ? Number.MIN_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
  for (const p of rules.policies ?? []) {
    const start = periodStart(current, ups, downs, p.periodSeconds, nowMs);
    const proposed = p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100));
    result = pick(result, proposed);
  }
  return result;
}
