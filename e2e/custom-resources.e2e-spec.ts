import { eventually, startTestCluster, TestCluster } from '@skiff/testing';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: crontabs.stable.example.com
spec:
  group: stable.example.com
  scope: Namespaced
  names: {plural: crontabs, singular: crontab, kind: CronTab, shortNames: [ct], categories: [all]}
  versions:
    - name: v1
      served: true
      storage: true
      subresources: {status: {}}
      additionalPrinterColumns:
        - {name: Spec, type: string, jsonPath: .spec.cronSpec}
        - {name: Replicas, type: integer, jsonPath: .spec.replicas}
        - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [cronSpec]
              properties:
                cronSpec: {type: string, description: 'When to run, in cron syntax.'}
                image: {type: string}
                replicas: {type: integer, minimum: 0, default: 1}
`;

const cronTab = (name: string, spec: string): string => `apiVersion: stable.example.com/v1
kind: CronTab
metadata: {name: ${name}}
spec: ${spec}
`;

describe('custom resources with kubectl', () => {
  let cluster: TestCluster;
  let scratch: string;
  const k = (...args: string[]) => cluster.kubectl(args);
  const apply = (yaml: string, ...args: string[]) => cluster.kubectl(['apply', '-f', '-', ...args], { stdin: yaml });

  beforeAll(async () => {
    cluster = await startTestCluster();
    scratch = mkdtempSync(path.join(tmpdir(), 'skiff-crd-e2e-'));
  }, 90_000);

  afterAll(async () => {
    await cluster?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('creates a CRD that becomes Established', async () => {
    expect((await apply(CRD)).stdout.trim()).toBe(
      'customresourcedefinition.apiextensions.k8s.io/crontabs.stable.example.com created',
    );
    const wait = await k('wait', '--for=condition=Established', 'crd/crontabs.stable.example.com', '--timeout=30s');
    expect(wait.stdout.trim()).toBe(
      'customresourcedefinition.apiextensions.k8s.io/crontabs.stable.example.com condition met',
    );
    expect((await k('get', 'crd')).stdout).toMatch(
      /^NAME\s+CREATED AT\ncrontabs\.stable\.example\.com\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/,
    );
  });

  it('rejects an invalid object naming the field', async () => {
    const res = await apply(cronTab('bad', '{cronSpec: "* * * * *", replicas: "many"}'));
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain(
      'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"',
    );
    expect(res.stderr).toContain('The CronTab "bad" is invalid');
  });

  it('applies, prints the printer columns and answers to the short name and category', async () => {
    expect((await apply(cronTab('nightly', '{cronSpec: "0 3 * * *", image: busybox}'))).stdout.trim()).toBe(
      'crontab.stable.example.com/nightly created',
    );
    const table = await k('get', 'crontabs');
    expect(table.stderr).toBe('');
    expect(table.stdout).toMatch(/^NAME\s+SPEC\s+REPLICAS\s+AGE\nnightly\s+0 3 \* \* \*\s+1\s+\d+s\n$/);
    expect((await k('get', 'ct', 'nightly', '-o', 'jsonpath={.spec.replicas}')).stdout).toBe('1');
    expect((await k('get', 'all')).stdout).toMatch(/^crontab\.stable\.example\.com\/nightly\s+0 3 \* \* \*\s+1\s+/m);
  });

  it('re-applies changes (merge patch), edits and deletes', async () => {
    const changed = await apply(cronTab('nightly', '{cronSpec: "0 4 * * *", image: busybox}'));
    expect(changed.stderr).toBe('');
    expect(changed.stdout.trim()).toBe('crontab.stable.example.com/nightly configured');
    expect((await apply(cronTab('nightly', '{cronSpec: "0 4 * * *", image: busybox}'))).stdout.trim()).toBe(
      'crontab.stable.example.com/nightly unchanged',
    );
    expect((await k('get', 'ct', 'nightly', '-o', 'jsonpath={.spec.cronSpec}')).stdout).toBe('0 4 * * *');

    const editor = path.join(scratch, 'editor.sh');
    writeFileSync(editor, '#!/bin/sh\nsed -i "s/replicas: 1/replicas: 5/" "$1"\n');
    chmodSync(editor, 0o755);
    const edit = await cluster.kubectl(['edit', 'ct', 'nightly'], { env: { KUBE_EDITOR: editor } });
    expect(edit.stderr).toBe('');
    expect(edit.stdout.trim()).toBe('crontab.stable.example.com/nightly edited');
    expect((await k('get', 'ct', 'nightly', '-o', 'jsonpath={.spec.replicas}')).stdout).toBe('5');

    expect((await k('delete', 'ct', 'nightly')).stdout.trim()).toBe('crontab.stable.example.com "nightly" deleted');
    expect((await k('get', 'ct')).stderr.trim()).toBe('No resources found in default namespace.');
  });

  it('applies server-side and explains the schema', async () => {
    const ssa = await apply(cronTab('hourly', '{cronSpec: "0 * * * *"}'), '--server-side');
    expect(ssa.stderr).toBe('');
    expect(ssa.stdout.trim()).toBe('crontab.stable.example.com/hourly serverside-applied');
    const explain = await k('explain', 'crontab.spec.cronSpec');
    expect(explain.stdout).toContain('When to run, in cron syntax.');
  });

  it('deletes the objects with the CRD', async () => {
    expect((await k('delete', 'crd', 'crontabs.stable.example.com')).stdout.trim()).toBe(
      'customresourcedefinition.apiextensions.k8s.io "crontabs.stable.example.com" deleted',
    );
    await eventually(
      async () => (await k('get', 'crd')).stderr.includes('No resources found'),
      30_000,
      'the CRD to go',
    );
    const raw = await k('get', '--raw', '/apis/stable.example.com/v1');
    expect(raw.stderr).toContain('Error from server (NotFound)');
    // kubectl's discovery cache may still name the resource: the list itself is NotFound.
    const gone = await k('get', 'crontabs');
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toMatch(/NotFound|doesn't have a resource type "crontabs"/);
  });
});
