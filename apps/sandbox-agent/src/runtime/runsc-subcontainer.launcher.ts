import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/**
 * conmon's `--runtime` for a runsc subcontainer (a container started inside an existing gVisor
 * sandbox: an ephemeral container next to its target). Two things differ from a sandbox's first
 * container, and this script bridges both:
 * - runsc writes the *sandbox's* PID into a subcontainer's pid file; that process is not conmon's child,
 *   so conmon would record exit -1 at once and drop the container's stdio. The script leaves a waiter's
 *   PID there instead: `runsc wait` in a subshell that exits with the subcontainer's exit status. Once
 *   the script returns, the waiter is conmon's child (conmon is a child subreaper), so conmon holds
 *   stdio, writes the log and records the real exit code as for any container.
 * - Without a terminal, a subcontainer's stdio is the one `runsc start` has (with one, the console
 *   socket given at create). So the script also starts it, with conmon's pipes as its stdio; the agent
 *   does not start a subcontainer itself (ContainerRuntime.start).
 */
export function runscSubcontainerScript(runscPath: string): string {
  return `#!/bin/sh
# Written by the sandbox agent (runsc-subcontainer.launcher.ts); conmon calls it only for create, which
# here creates and starts the subcontainer.
set -eu
runsc='${runscPath.replace(/'/g, `'\\''`)}'
globals=""
while [ "$#" -gt 0 ] && [ "$1" != create ]; do globals="$globals $1"; shift; done
if [ "$#" -eq 0 ]; then echo "runsc-subcontainer: only create is supported" >&2; exit 2; fi
pidfile=""
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
export async function ensureRunscSubcontainerLauncher(dir: string, runscPath: string): Promise<string> {
  const file = path.join(dir, 'runsc-subcontainer.sh');
  const text = runscSubcontainerScript(runscPath);
  const current = await fs.readFile(file, 'utf8').catch(() => '');
  if (current !== text) {
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(`${file}.tmp`, text, { mode: 0o755 });
    await fs.rename(`${file}.tmp`, file);
  }
  return file;
}
