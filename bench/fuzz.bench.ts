import { randomInt } from 'node:crypto';
import {
  HOSTILE_CATEGORIES,
  hostileUser,
  HostileRunSummary,
  runHostileRequests,
  startTestCluster,
} from '@skiff/testing';
import { BenchRow } from './report';
import { summarize } from './stats';

// Five times the e2e test's run; `--requests=N` changes it, `--seed=S` replays a run.
const DEFAULT_REQUESTS = 50_000;
const CONCURRENCY = 8;

function flag(name: string): number | undefined {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  if (arg === undefined) return undefined;
  const n = Number(arg.slice(name.length + 3));
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name} wants a whole number, got ${arg}`);
  return n;
}

/** The hostile-input fuzz suite (issue 15) at length: a cluster of its own, a seed printed first so a failure replays. */
export async function runFuzzBench(
  log: (line: string) => void,
): Promise<{ rows: BenchRow[]; problems: string[]; summary: HostileRunSummary }> {
  const seed = flag('seed') ?? randomInt(2 ** 31);
  const requests = flag('requests') ?? DEFAULT_REQUESTS;
  log(
    `fuzz: seed ${seed} (replay: npm run bench -- fuzz --seed=${seed} --requests=${requests}); starting a test cluster`,
  );
  const user = hostileUser();
  const cluster = await startTestCluster(user.env);
  const latency = new Map<string, number[]>(HOSTILE_CATEGORIES.map((c) => [c, []]));
  try {
    const summary = await runHostileRequests(cluster, user, {
      seed,
      requests,
      concurrency: CONCURRENCY,
      onAnswer: (req, ms) => latency.get(req.category)?.push(ms),
      progressEvery: Math.max(1000, Math.round(requests / 50)),
      onProgress: (done, s) =>
        log(
          `fuzz:   ${done}/${requests} requests, ${rate(s).toFixed(0)}/s, ${s.problems.length} problem kinds; statuses ${histogram(s.byStatus)}`,
        ),
    });
    for (const slow of summary.slowest) log(`fuzz: slow, ${slow.ms.toFixed(0)} ms: ${slow.request}`);
    const rows: BenchRow[] = [
      {
        label: 'all hostile requests',
        rate: rate(summary),
        note: `${summary.requests} in ${(summary.elapsedMs / 1000).toFixed(1)} s, ${CONCURRENCY} at a time`,
      },
      ...HOSTILE_CATEGORIES.map((c) => ({
        label: `  ${c}`,
        latency: summarize(latency.get(c) ?? []),
        note: `${summary.byCategory[c]} requests`,
      })),
      { label: 'status codes', note: histogram(summary.byStatus) },
      { label: 'objects re-validated after the run', note: String(summary.storedChecked) },
      { label: 'seed', note: String(seed) },
    ];
    return {
      rows,
      problems: [...summary.problems.map((p) => `${p.problem} (×${p.count}); first: ${p.first}`)],
      summary,
    };
  } finally {
    await cluster.stop();
    user.remove();
  }
}

function rate(s: HostileRunSummary): number {
  return s.elapsedMs > 0 ? (s.requests * 1000) / s.elapsedMs : 0;
}

function histogram(byStatus: Record<string, number>): string {
  return Object.entries(byStatus)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([code, n]) => `${code}×${n}`)
    .join(' ');
}
