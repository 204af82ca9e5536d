import { compiledEntry } from '@skiff/stack';
import * as path from 'node:path';
import { CommandResult, runCommand } from './run-command';
import type { TestCluster } from './test-cluster';

/** Runs the compiled `npm run user` command (`add`, `bind`) against a test cluster's state directory. */
export function runUserCommand(cluster: TestCluster, args: string[]): Promise<CommandResult> {
  return runCommand(process.execPath, [compiledEntry('scripts', 'user.js'), ...args], 60_000, {
    SKIFF_STATE_DIR: cluster.stateDir,
  });
}

/** Where `add NAME` writes the user's kubeconfig by default. */
export function userKubeconfig(cluster: TestCluster, name: string): string {
  return path.join(cluster.stateDir, 'users', `${name}.kubeconfig`);
}
