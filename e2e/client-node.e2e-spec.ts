import { eventually, startTestCluster, TestCluster } from '@skiff/testing';
import { ChildProcess, execFile, spawn } from 'node:child_process';
import * as path from 'node:path';

interface Line {
  [key: string]: unknown;
}

function runScript(script: string, args: string[]): Promise<Line[]> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [path.join(__dirname, 'client-node', script), ...args],
      { timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${script} failed: ${stderr || err.message}\n${stdout}`));
        else
          resolve(
            stdout
              .trim()
              .split('\n')
              .map((l) => JSON.parse(l) as Line),
          );
      },
    );
  });
}

describe('@kubernetes/client-node', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    // A small watch window, so a watcher that was away comes back to 410 Expired.
    cluster = await startTestCluster({ SKIFF_WATCH_WINDOW: '100' });
  }, 90_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('creates, reads, replaces, patches, lists, watches and deletes', async () => {
    const steps = await runScript('crud.mjs', [cluster.stack.kubeconfig, 'cn-crud']);
    const step = (name: string) => steps.find((s) => s.step === name)!;
    expect(step('read').data).toEqual({ a: '1' });
    expect(step('replace').data).toEqual({ a: '2' });
    expect(step('stale-replace')).toMatchObject({ code: 409, reason: 'Conflict' });
    expect(step('patch').data).toEqual({ a: '2', b: '3' });
    expect(step('deployment')).toMatchObject({ strategy: 'RollingUpdate', pullPolicy: 'Always' });
    expect(step('list').names).toEqual(['cfg']);
    expect(step('watch').seen).toEqual(['ADDED second', 'MODIFIED second', 'DELETED second']);
    expect(step('read-deleted').code).toBe(404);
  });

  it('keeps an informer correct across an API server restart and a 410 relist', async () => {
    const ns = 'cn-informer';
    await cluster.kubectl(['apply', '-f', '-'], {
      stdin: `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}}\n`,
    });
    await cluster.kubectl(['apply', '-f', '-'], {
      stdin: `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: before, namespace: ${ns}}\n`,
    });
    const lines: Line[] = [];
    const child: ChildProcess = spawn(process.execPath, [
      path.join(__dirname, 'client-node', 'informer.mjs'),
      cluster.stack.kubeconfig,
      ns,
    ]);
    let buf = '';
    child.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        lines.push(JSON.parse(buf.slice(0, i)) as Line);
        buf = buf.slice(i + 1);
      }
    });
    const has = (event: string, name?: string) => async () =>
      lines.some((l) => l.event === event && (name === undefined || l.name === name));
    try {
      await eventually(has('synced'), 20_000, 'the informer to sync');
      expect(lines.find((l) => l.event === 'synced')!.names).toEqual(['before']);

      await cluster.kubectl(['apply', '-f', '-'], {
        stdin: `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: after, namespace: ${ns}}\n`,
      });
      await eventually(has('add', 'after'), 20_000, 'the informer to see a ConfigMap live');
      // 150 changes elsewhere push the informer's resourceVersion out of the server's window;
      // after the restart its watch resumes from there, gets 410 Expired and must relist.
      const filler = Array.from(
        { length: 150 },
        (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: f${i}, namespace: default}\n`,
      ).join('---\n');
      await cluster.kubectl(['apply', '-f', '-'], { stdin: filler });
      await cluster.stack.restartApiServer();
      await cluster.kubectl(['apply', '-f', '-'], {
        stdin: `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: late, namespace: ${ns}}\n`,
      });
      await eventually(has('add', 'late'), 30_000, 'the informer to see the ConfigMap created after the restart');
      await cluster.kubectl(['delete', 'configmap', 'before', '-n', ns]);
      await eventually(has('delete', 'before'), 30_000, 'the informer to see the deletion');
      // It relisted after the 410, rather than resuming from a resourceVersion the server no longer has.
      expect(lines.filter((l) => l.event === 'list').length).toBeGreaterThan(1);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
