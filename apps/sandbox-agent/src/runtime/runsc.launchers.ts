import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/**
 * conmon's `--runtime` for runsc. conmon runs `<runtime> [globals] create --bundle … --pid-file … <id>` and the
 * agent then runs `start`; for runsc both steps happen in a launcher instead, and `ContainerRuntime.start` only
 * records the start:
 * - `sandbox` (a sandbox's first container, which is every container of a gVisor pod): one `runsc run --detach`
 *   creates and starts it. Under conmon that is ≈35 ms (a fifth) less than `create` and `start`, which are two
 *   runsc processes, each loading the container's state and reaching the sandbox again (docs/sandboxes.md).
 * - `subcontainer` (a container started inside an existing sandbox: an ephemeral container next to its target).
 *   runsc writes the *sandbox's* PID into a subcontainer's pid file; that process is not conmon's child, so
 *   conmon would record exit -1 at once and drop the container's stdio. The launcher leaves a waiter's PID
 *   there instead: `runsc wait` in a subshell that exits with the subcontainer's exit status. Once the launcher
 *   returns, the waiter is conmon's child (conmon is a child subreaper), so conmon holds stdio, writes the log
 *   and records the real exit code as for any container. Without a terminal, a subcontainer's stdio is the one
 *   `runsc start` has (with one, the console socket given at create), so the launcher also starts it, with
 *   conmon's pipes as its stdio.
 */
export type RunscLauncher = 'sandbox' | 'subcontainer';

export function runscLauncherScript(kind: RunscLauncher, runscPath: string): string {
  const head = `#!/bin/sh
# Written by the sandbox agent (runsc.launchers.ts): conmon calls it only for create.
set -eu
runsc='${runscPath.replace(/'/g, `'\\''`)}'
globals=""
while [ "$#" -gt 0 ] && [ "$1" != create ]; do globals="$globals $1"; shift; done
if [ "$#" -eq 0 ]; then echo "runsc-${kind}: only create is supported" >&2; exit 2; fi
`;
  if (kind === 'sandbox')
    return `${head}shift
exec "$runsc" $globals run --detach "$@"
`;
  return `${head}pidfile=""
id=""
prev=""
for a in "$@"; do
  if [ "$prev" = --pid-file ]; then pidfile=$a; fi
  prev=$a
  id=$a
done
"$runsc" $globals "$@"
"$runsc" $globals start "$id"
(
  out=$("$runsc" $globals wait "$id" 2>&1) || exit 255
  status=$(printf '%s' "$out" | sed -n 's/.*"exitStatus": *\\([0-9]*\\).*/\\1/p')
  exit "\${status:-255}"
) </dev/null >/dev/null 2>&1 &
echo $! > "$pidfile"
`;
}

/** Writes the launcher into `dir` (once per content) and resolves its path. */
export async function ensureRunscLauncher(dir: string, kind: RunscLauncher, runscPath: string): Promise<string> {
  const file = path.join(dir, `runsc-${kind}.sh`);
  const text = runscLauncherScript(kind, runscPath);
  const current = await fs.readFile(file, 'utf8').catch(() => '');
  if (current !== text) {
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(`${file}.tmp`, text, { mode: 0o755 });
    await fs.rename(`${file}.tmp`, file);
  }
  return file;
}
