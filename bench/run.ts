import { availableParallelism, loadavg } from 'node:os';
import * as path from 'node:path';
import { runApiBench } from './api.bench';
import { formatTable, writeJsonResults } from './report';

const REPO_ROOT = path.resolve(__dirname, '..');

// Timestamped progress lines so a slow phase is visible while it runs.
const started = Date.now();
function log(line: string): void {
  process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);
}

/** `npm run bench`: every benchmark in bench/ in turn (today: the API benchmark). */
async function main(): Promise<void> {
  const cores = availableParallelism();
  // The machine is shared: the load average says how much of it the bench really had.
  const loadBefore = loadavg();
  log(`skiff bench: node ${process.version}, ${cores} cores, load average ${fmtLoad(loadBefore)}`);
  const api = await runApiBench(log);
  const loadAfter = loadavg();
  process.stdout.write(`\n${formatTable(`API benchmark (${cores} cores, node ${process.version})`, api.rows)}\n`);
  process.stdout.write(`load average before ${fmtLoad(loadBefore)}, after ${fmtLoad(loadAfter)} (1/5/15 min; the bench and its gateway share these cores)\n`);
  if (api.failures.length > 0) {
    process.stdout.write('\nfailed requests (phase, op, request, status, message, count):\n');
    for (const f of api.failures) process.stdout.write(`  ${f.phase}  ${f.op}  ${f.method} ${f.path}  ${f.status}  ${f.message}  ×${f.count}\n`);
  }
  if (api.watch.errorEvents.length > 0) process.stdout.write(`\nwatch problems:\n${api.watch.errorEvents.map((e) => `  ${e}`).join('\n')}\n`);
  const file = writeJsonResults(REPO_ROOT, 'api', { node: process.version, cores, startedAt: new Date(started).toISOString(), loadBefore, loadAfter, ...api });
  process.stdout.write(`\nfigures written to ${path.relative(REPO_ROOT, file)}\n`);
}

function fmtLoad(l: number[]): string {
  return l.map((v) => v.toFixed(2)).join(' ');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
