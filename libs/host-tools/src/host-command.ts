import { ProcessRunner, RunOptions, RunResult } from './process-runner';

/** Runs host-side network commands, optionally inside a netns that stands in for the host (tests build a fake host this way). */
export class HostCommand {
  constructor(
    private readonly runner: ProcessRunner,
    private readonly hostNetns?: string,
  ) {}

  run(command: string, args: readonly string[], options?: RunOptions): Promise<RunResult> {
    if (!this.hostNetns) return this.runner.run(command, args, options);
    return this.runner.run('ip', ['netns', 'exec', this.hostNetns, command, ...args], options);
  }

  async linkExists(name: string): Promise<boolean> {
    return (await this.run('ip', ['link', 'show', 'dev', name], { allowFailure: true })).code === 0;
  }
}

export function assertIfName(name: string, what: string): void {
  if (!/^skiff[A-Za-z0-9_-]{0,10}$/.test(name))
    throw new Error(`${what} "${name}" must start with "skiff" and fit in 15 characters`);
}
