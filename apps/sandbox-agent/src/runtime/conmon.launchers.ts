import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/**
 * conmon's `--runtime`. conmon runs `<runtime> [globals] create --bundle … --pid-file … <id>`, after which a
 * container waits for `start`; here a launcher makes that one step, and the agent never runs `start`:
 * - `run` (every container but a runsc subcontainer): conmon's `create` becomes `<runtime> run --detach`. Under
 *   conmon that is ≈7 ms less than create + start for runc and ≈30 ms less for runsc: one runtime process
 *   instead of two, each loading the container's state and reaching it again (docs/sandboxes.md).
 * - `runsc-subcontainer` (a container started inside an existing gVisor sandbox: an ephemeral container next
 *   to its target). runsc writes the *sandbox's* PID into a subcontainer's pid file; that process is not
 *   conmon's child, so conmon would record exit -1 at once and drop the container's stdio. The launcher leaves
 *   a waiter's PID there instead: `runsc wait` in a subshell that exits with the subcontainer's exit status.
 *   Once the launcher returns, the waiter is conmon's child (conmon is a child subreaper), so conmon holds
 *   stdio, writes the log and records the real exit code as for any container. Without a terminal, a
 *   subcontainer's stdio is the one `runsc start` has (with one, the console socket given at create), so the
 *   launcher starts it itself, with conmon's pipes as its stdio.
 */
export type ConmonLauncher = 'run' | 'runsc-subcontainer';

export function conmonLauncherScript(kind: ConmonLauncher, runtimePath: string): string {
  const head = `#!/bin/sh
# Written by the sandbox agent (conmon.launchers.ts): conmon calls it only for create.
set -eu
runtime='${runtimePath.replace(/'/g, `'\\''`)}'
globals=""
while [ "$#" -gt 0 ] && [ "$1" != create ]; do globals="$globals $1"; shift; done
if [ "$#" -eq 0 ]; then echo "${kind}: only create is supported" >&2; exit 2; fi
`;
  if (kind === 'run')
    return `${head}shift
exec "$runtime" $globals run --detach "$@"
`;
  return `${head}pidfile=""
id=""
prev=""
for a in "$@"; do
  if [ "$prev" = --pid-file ]; then pidfile=$a; fi
  prev=$a
  id=$a
done
"$runtime" $globals "$@"
"$runtime" $globals start "$id"
(
  out=$("$runtime" $globals wait "$id" 2>&1) || exit 255
  status=$(printf '%s' "$out" | sed -n 's/.*"exitStatus": *\\([0-9]*\\).*/\\1/p')
  exit "\${status:-255}"
) </dev/null >/dev/null 2>&1 &
echo $! > "$pidfile"
`;
}

/** Writes the launcher into `dir` as `<runtime>-<kind>.sh` (once per content) and resolves its path. */
export async function ensureConmonLauncher(dir: string, kind: ConmonLauncher, runtimePath: string): Promise<string> {
  const name = kind === 'run' ? `${path.basename(runtimePath)}-run.sh` : `${kind}.sh`;
  const file = path.join(dir, name);
  const text = conmonLauncherScript(kind, runtimePath);
  const current = await fs.readFile(file, 'utf8').catch(() => '');
  if (current !== text) {
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(`${file}.tmp`, text, { mode: 0o755 });
    await fs.rename(`${file}.tmp`, file);
  }
  return file;
}
