import { Behavior, NormalizeInput, ScalingHistory, ScalingRules } from './scaling-rules';

const NOW = Date.parse('2024-03-01T10:00:00Z');
const KEY = 'ns/web';

/** Upstream's generateScalingRules: the policies given (0 = none), selectPolicy Max. */
function rules(pods: number, podsPeriod: number, percent: number, percentPeriod: number, window: number): ScalingRules {
  const policies = [
    ...(pods ? [{ type: 'Pods', value: pods, periodSeconds: podsPeriod }] : []),
    ...(percent ? [{ type: 'Percent', value: percent, periodSeconds: percentPeriod }] : []),
  ];
  return { stabilizationWindowSeconds: window, selectPolicy: 'Max', policies };
}

/** What the API server's defaulting makes of a behavior (GenerateHPAScaleUpRules / GenerateHPAScaleDownRules). */
function defaulted(up?: ScalingRules, down?: ScalingRules): Behavior {
  const upPolicies = [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ];
  return {
    scaleUp: {
      stabilizationWindowSeconds: up?.stabilizationWindowSeconds ?? 0,
      selectPolicy: up?.selectPolicy ?? 'Max',
      policies: up?.policies?.length ? up.policies : upPolicies,
    },
    scaleDown: {
      stabilizationWindowSeconds: down?.stabilizationWindowSeconds,
      selectPolicy: down?.selectPolicy ?? 'Max',
      policies: down?.policies?.length ? down.policies : [{ type: 'Percent', value: 100, periodSeconds: 15 }],
    },
  };
}

// A behavior whose long period keeps every seeded event (none is marked outdated while seeding).
const SEEDING: Behavior = { scaleUp: rules(1, 1800, 0, 0, 0), scaleDown: rules(1, 1800, 0, 0, 0) };

/** generateEventsUniformDistribution: the changes spread over the last `period` seconds, oldest first. */
function seed(history: ScalingHistory, direction: 'up' | 'down', changes: number[], period: number): void {
  const segment = period / changes.length;
  changes.forEach((change, i) => {
    const ago = period - segment * (i + 1) + segment / 2;
    const [from, to] = direction === 'up' ? [0, change] : [change, 0];
    history.recordScale(KEY, SEEDING, from, to, NOW - ago * 1000);
  });
}

interface RateCase {
  current: number;
  desired: number;
  min: number;
  max: number;
  up?: ScalingRules;
  down?: ScalingRules;
  upEvents?: number[];
  downEvents?: number[];
  expected: number;
  condition: string;
}

describe(ScalingHistory.name, () => {
  const input = (current: number, desired: number, min: number, max: number, nowMs = NOW): NormalizeInput => ({
    key: KEY,
    currentReplicas: current,
    desiredReplicas: desired,
    minReplicas: min,
    maxReplicas: max,
    nowMs,
  });

  // TestScalingWithRules (convertDesiredReplicasWithBehaviorRate): with no recommendations kept, stabilization changes nothing.
  const cases: [string, RateCase][] = [
    [
      'prenormalized desired replicas within range',
      { current: 5, desired: 7, min: 3, max: 8, expected: 7, condition: 'DesiredWithinRange' },
    ],
    [
      'prenormalized desired replicas < minReplicas',
      { current: 3, desired: 1, min: 2, max: 8, expected: 2, condition: 'TooFewReplicas' },
    ],
    [
      'within range when minReplicas is 0',
      { current: 1, desired: 0, min: 0, max: 10, expected: 0, condition: 'DesiredWithinRange' },
    ],
    [
      'maxReplicas < scaleUpLimit',
      { current: 20, desired: 1000, min: 1, max: 10, expected: 10, condition: 'TooManyReplicas' },
    ],
    [
      'more than the maximum replica count',
      { current: 100, desired: 1000, min: 100, max: 150, expected: 150, condition: 'TooManyReplicas' },
    ],
    [
      'scaleUpLimit < maxReplicas with user policies',
      {
        current: 3,
        desired: 1000,
        min: 1,
        max: 2000,
        up: rules(0, 0, 1, 60, 0),
        expected: 4,
        condition: 'ScaleUpLimit',
      },
    ],
    [
      'scaleUp with default behavior',
      { current: 10, desired: 50, min: 1, max: 1000, expected: 20, condition: 'ScaleUpLimit' },
    ],
    [
      'scaleUp with pods policy larger than percent policy',
      {
        current: 10,
        desired: 500,
        min: 1,
        max: 1000,
        up: rules(100, 60, 100, 60, 0),
        expected: 110,
        condition: 'ScaleUpLimit',
      },
    ],
    [
      'scaleUp with percent policy larger than pods policy',
      {
        current: 10,
        desired: 500,
        min: 1,
        max: 1000,
        up: rules(2, 60, 100, 60, 0),
        expected: 20,
        condition: 'ScaleUpLimit',
      },
    ],
    [
      'scaleUp with spec MaxReplicas limitation with large pod policy',
      {
        current: 10,
        desired: 50,
        min: 1,
        max: 1000,
        up: rules(100, 60, 0, 0, 0),
        expected: 50,
        condition: 'DesiredWithinRange',
      },
    ],
    [
      'scaleUp with pod policy limitation',
      {
        current: 10,
        desired: 50,
        min: 1,
        max: 1000,
        up: rules(30, 60, 0, 0, 0),
        expected: 40,
        condition: 'ScaleUpLimit',
      },
    ],
    [
      'scaleUp with percent policy limitation',
      {
        current: 10,
        desired: 50,
        min: 1,
        max: 1000,
        up: rules(0, 0, 200, 60, 0),
        expected: 30,
        condition: 'ScaleUpLimit',
      },
    ],
    [
      'scaleDown with percent policy larger than pod policy',
      {
        current: 100,
        desired: 2,
        min: 1,
        max: 1000,
        down: rules(20, 60, 1, 60, 300),
        expected: 80,
        condition: 'ScaleDownLimit',
      },
    ],
    [
      'scaleDown with pod policy larger than percent policy',
      {
        current: 100,
        desired: 2,
        min: 1,
        max: 1000,
        down: rules(2, 60, 1, 60, 300),
        expected: 98,
        condition: 'ScaleDownLimit',
      },
    ],
    [
      'scaleDown with spec MinReplicas limitation with large pod policy',
      {
        current: 10,
        desired: 0,
        min: 1,
        max: 1000,
        down: rules(100, 60, 0, 0, 300),
        expected: 1,
        condition: 'TooFewReplicas',
      },
    ],
    [
      'scaleDown with spec MinReplicas limitation with large percent policy',
      {
        current: 10,
        desired: 2,
        min: 5,
        max: 1000,
        down: rules(0, 0, 100, 60, 300),
        expected: 5,
        condition: 'TooFewReplicas',
      },
    ],
    [
      'scaleDown with pod policy limitation',
      {
        current: 10,
        desired: 2,
        min: 1,
        max: 1000,
        down: rules(5, 60, 0, 0, 300),
        expected: 5,
        condition: 'ScaleDownLimit',
      },
    ],
    [
      'scaleDown with percent policy limitation',
      {
        current: 10,
        desired: 5,
        min: 1,
        max: 1000,
        down: rules(0, 0, 50, 60, 300),
        expected: 5,
        condition: 'DesiredWithinRange',
      },
    ],
    [
      'scaleUp with spec MaxReplicas limitation with large pod policy and events',
      {
        upEvents: [1, 5, 9],
        current: 100,
        desired: 500,
        min: 1,
        max: 200,
        up: rules(300, 60, 0, 0, 0),
        expected: 200,
        condition: 'TooManyReplicas',
      },
    ],
    [
      'scaleUp with currentReplicas limitation with a lot of recent scale up events',
      {
        upEvents: [1, 5, 9],
        current: 100,
        desired: 500,
        min: 1,
        max: 1000,
        up: rules(5, 120, 0, 0, 0),
        expected: 100,
        condition: 'ScaleUpLimit',
      },
    ],
    [
      'scaleUp with pod policy and previous scale up events',
      {
        upEvents: [1, 5, 9],
        current: 100,
        desired: 500,
        min: 1,
        max: 1000,
        up: rules(150, 120, 0, 0, 0),
        expected: 235,
        condition: 'ScaleUpLimit',
      },
    ],
    [
      'scaleUp with percent policy and previous scale up events',
      {
        upEvents: [1, 5, 9],
        current: 100,
        desired: 500,
        min: 1,
        max: 1000,
        up: rules(0, 0, 200, 120, 0),
        expected: 255,
        condition: 'ScaleUpLimit',
      },
    ],
    [
      'scaleDown with default policy and previous events',
      {
        downEvents: [1, 5, 9],
        current: 10,
        desired: 5,
        min: 1,
        max: 1000,
        expected: 5,
        condition: 'DesiredWithinRange',
      },
    ],
    [
      'scaleDown with spec MinReplicas limitation with large pod policy and previous events',
      {
        downEvents: [1, 5, 9],
        current: 100,
        desired: 0,
        min: 5,
        max: 1000,
        down: rules(130, 120, 0, 0, 300),
        expected: 5,
        condition: 'TooFewReplicas',
      },
    ],
    [
      'scaleDown with pod policy limitation and previous events',
      {
        downEvents: [1, 5, 9],
        current: 100,
        desired: 2,
        min: 1,
        max: 1000,
        down: rules(5, 120, 0, 0, 300),
        expected: 100,
        condition: 'ScaleDownLimit',
      },
    ],
    [
      'scaleDown with percent policy limitation and previous events',
      {
        downEvents: [2, 4, 6],
        current: 100,
        desired: 0,
        min: 1,
        max: 1000,
        down: rules(0, 0, 50, 120, 300),
        expected: 56,
        condition: 'ScaleDownLimit',
      },
    ],
    [
      'scaleDown with previous events preventing further scale down',
      {
        downEvents: [10, 10, 10],
        current: 100,
        desired: 0,
        min: 1,
        max: 1000,
        down: rules(0, 0, 10, 120, 300),
        expected: 100,
        condition: 'ScaleDownLimit',
      },
    ],
    [
      'scaleDown with previous events still allowing more scale down',
      {
        downEvents: [10, 10, 10],
        current: 10,
        desired: 5,
        min: 1,
        max: 1000,
        down: rules(0, 0, 1000, 120, 300),
        expected: 5,
        condition: 'DesiredWithinRange',
      },
    ],
    [
      "check 'outdated' flag for events for one behavior for up",
      {
        upEvents: [8, 12, 9, 11],
        current: 100,
        desired: 200,
        min: 1,
        max: 1000,
        up: rules(1000, 60, 0, 0, 0),
        expected: 200,
        condition: 'DesiredWithinRange',
      },
    ],
    [
      'selectPolicy Min picks the smaller change when scaling up',
      {
        current: 10,
        desired: 500,
        min: 1,
        max: 1000,
        up: { ...rules(4, 60, 100, 60, 0), selectPolicy: 'Min' },
        expected: 14,
        condition: 'ScaleUpLimit',
      },
    ],
    [
      'selectPolicy Min picks the smaller change when scaling down',
      {
        current: 100,
        desired: 2,
        min: 1,
        max: 1000,
        down: { ...rules(20, 60, 50, 60, 300), selectPolicy: 'Min' },
        expected: 80,
        condition: 'ScaleDownLimit',
      },
    ],
    [
      'selectPolicy Disabled keeps the current size when scaling up',
      {
        current: 10,
        desired: 500,
        min: 1,
        max: 1000,
        up: { ...rules(4, 60, 0, 0, 0), selectPolicy: 'Disabled' },
        expected: 10,
        condition: 'ScaleUpLimit',
      },
    ],
    [
      'selectPolicy Disabled keeps the current size when scaling down',
      {
        current: 10,
        desired: 1,
        min: 1,
        max: 1000,
        down: { ...rules(4, 60, 0, 0, 300), selectPolicy: 'Disabled' },
        expected: 10,
        condition: 'ScaleDownLimit',
      },
    ],
  ];
  it.each(cases)('%s', (_name, tc) => {
    const history = new ScalingHistory(300_000);
    if (tc.upEvents) seed(history, 'up', tc.upEvents, 120);
    if (tc.downEvents) seed(history, 'down', tc.downEvents, 120);
    const out = history.normalizeWithBehavior(input(tc.current, tc.desired, tc.min, tc.max), defaulted(tc.up, tc.down));
    expect([out.replicas, out.scalingLimited.reason]).toEqual([tc.expected, tc.condition]);
    expect(out.limited).toBe(tc.expected !== tc.desired);
  });

  it('without a behavior, keeps the highest recommendation of the last 5 minutes and limits scale-up to max(2×, 4)', () => {
    const history = new ScalingHistory(300_000);
    const at = (minutesAgo: number) => NOW - minutesAgo * 60_000;
    history.recordInitial(KEY, 10, at(10));
    expect(history.normalize(input(10, 4, 1, 100, at(2))).replicas).toBe(4); // the 10 is older than the window
    expect(history.normalize(input(4, 5, 1, 100, at(1)))).toMatchObject({
      replicas: 5,
      ableToScale: { reason: 'ReadyForNewScale' },
    });
    // Recommendations of 4 and 5 in the window: a recommendation of 3 is held at 5.
    expect(history.normalize(input(5, 3, 1, 100, NOW))).toEqual({
      replicas: 5,
      ableToScale: {
        reason: 'ScaleDownStabilized',
        message: 'recent recommendations were higher than current one, applying the highest recent recommendation',
      },
      limited: false,
      scalingLimited: { reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' },
    });
    // Six minutes on, only the 3 is left in the window.
    expect(history.normalize(input(5, 3, 1, 100, NOW + 6 * 60_000)).replicas).toBe(3);
    expect(history.normalize(input(3, 100, 1, 100, NOW + 7 * 60_000))).toMatchObject({
      replicas: 6,
      limited: true,
      scalingLimited: {
        reason: 'ScaleUpLimit',
        message: 'the desired replica count is increasing faster than the maximum scale rate',
      },
    });
    expect(history.normalize(input(1, 100, 1, 3, NOW + 8 * 60_000)).scalingLimited.reason).toBe('TooManyReplicas');
  });

  it('with a behavior, stabilizes scale-up over its window (the lowest) and scale-down over its own (the highest)', () => {
    const history = new ScalingHistory(300_000);
    const behavior = defaulted(rules(100, 15, 0, 0, 120), rules(100, 15, 0, 0, 180));
    const at = (s: number) => NOW + s * 1000;
    history.recordInitial(KEY, 5, at(0));
    // Recommendations 5 (t0), 8 (t60): at t90 the lowest of the scale-up window is 5.
    expect(history.normalizeWithBehavior(input(5, 8, 1, 100, at(60)), behavior)).toMatchObject({
      replicas: 5,
      ableToScale: {
        reason: 'ScaleUpStabilized',
        message: 'recent recommendations were lower than current one, applying the lowest recent recommendation',
      },
    });
    expect(history.normalizeWithBehavior(input(5, 9, 1, 100, at(90)), behavior).replicas).toBe(5);
    // At t130 the 5 left the 120 s window: the lowest left is 8.
    expect(history.normalizeWithBehavior(input(5, 9, 1, 100, at(130)), behavior).replicas).toBe(8);
    // Scaling down is held at the highest recommendation of the 180 s window.
    expect(history.normalizeWithBehavior(input(8, 2, 1, 100, at(140)), behavior)).toMatchObject({
      replicas: 8,
      ableToScale: { reason: 'ScaleDownStabilized' },
    });
    // An unset scale-down window is the controller's 300 s.
    const unset = defaulted(rules(100, 15, 0, 0, 0), { policies: [{ type: 'Pods', value: 100, periodSeconds: 15 }] });
    expect(history.normalizeWithBehavior(input(9, 2, 1, 100, at(400)), unset).replicas).toBe(9);
  });

  it('TestStoreScaleEvents: an event outside every policy period is reused; events are kept only with a behavior', () => {
    const history = new ScalingHistory(300_000);
    const behavior: Behavior = { scaleUp: rules(10, 60, 100, 30, 0) };
    history.recordScale(KEY, behavior, 10, 18, NOW - 29_000);
    history.recordScale(KEY, behavior, 10, 16, NOW - 59_000);
    history.recordScale(KEY, undefined, 10, 99, NOW - 10_000); // no behavior: not recorded
    // Pods 60 s policy: the 8 and 6 of the last minute count; Percent 30 s: only the 8.
    const limit = (nowMs: number) =>
      history.normalizeWithBehavior(input(100, 1000, 1, 1000, nowMs), defaulted(behavior.scaleUp)).replicas;
    expect(limit(NOW)).toBe(Math.max(100 - 14 + 10, Math.ceil((100 - 8) * 2)));
  });
});
