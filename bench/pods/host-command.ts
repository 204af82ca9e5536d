import { runCommand } from '@skiff/testing';

/** Like runCommand but a non-zero exit is an error naming the command. */
export async function mustRun(file: string, args: string[], timeoutMs?: number): Promise<string> {
  const r = await runCommand(file, args, timeoutMs);
  if (r.code !== 0)
    throw new Error(`${file} ${args.join(' ')}: exit ${r.code}: ${(r.stderr || r.stdout).trim().slice(0, 300)}`);
  return r.stdout;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
