import { ProcessRunner } from './process-runner';
import { HostCommand } from './host-command';

/** The `nft` binary, through a ProcessRunner (optionally inside a netns: the edge's, or one standing in for a host). */
export class Nftables {
  private readonly host: HostCommand;

  constructor(runner: ProcessRunner, hostNetns?: string) {
    this.host = new HostCommand(runner, hostNetns);
  }

  /** Runs a script as one transaction: all of it applies, or none. */
  async apply(script: string): Promise<void> {
    await this.host.run('nft', ['-f', '-'], { input: script });
  }

  async tableExists(family: 'inet', table: string): Promise<boolean> {
    return (await this.host.run('nft', ['list', 'table', family, table], { allowFailure: true })).code === 0;
  }

  /** Deletes a table if it is there; idempotent. */
  async deleteTable(family: 'inet', table: string): Promise<boolean> {
    if (!(await this.tableExists(family, table))) return false;
    await this.host.run('nft', ['delete', 'table', family, table]);
    return true;
  }
}
