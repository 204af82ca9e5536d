import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { ChartLoadError, loadChart } from './chart';

/** A .tgz of files under one top directory, as `helm package` writes it. */
async function tgz(top: string, files: Record<string, string | Buffer>): Promise<Buffer> {
  const p = pack();
  for (const [name, data] of Object.entries(files)) p.entry({ name: `${top}/${name}` }, data);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

function writeTree(root: string, files: Record<string, string | Buffer>): void {
  for (const [name, data] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), data);
  }
}

describe('loadChart (a chart directory or archive, as Helm loads it)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'skiff-chart-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('sorts a directory into metadata, values, schema, templates, files and subcharts (directories and archives)', async () => {
    const root = path.join(dir, 'web');
    writeTree(root, {
      'Chart.yaml':
        'apiVersion: v2\nname: web\nversion: 1.0.0\ndependencies:\n  - {name: db, version: 0.1.0, repository: ""}\n',
      'values.yaml': 'replicas: 2\nenabled: yes\n',
      'values.schema.json': '{"type": "object"}',
      'templates/deploy.yaml': 'kind: Deployment',
      'templates/_helpers.tpl': '{{ define "x" }}{{ end }}',
      'crds/widget.yaml': 'kind: CustomResourceDefinition',
      'config/app.conf': 'a=1',
      'notes.bak': 'ignored',
      'secret/key': 'ignored too',
      '.helmignore': '# editor files\n*.bak\nsecret/\n',
      'charts/cache/Chart.yaml': 'apiVersion: v2\nname: cache\nversion: 2.0.0\n',
      'charts/cache/templates/cm.yaml': 'kind: ConfigMap',
      'charts/_skipped/Chart.yaml': 'not: read',
    });
    writeFileSync(
      path.join(root, 'charts/db-0.1.0.tgz'),
      await tgz('db', { 'Chart.yaml': 'name: db\nversion: 0.1.0\n', 'templates/svc.yaml': 'kind: Service' }),
    );
    const chart = await loadChart(root);
    expect(chart.metadata).toMatchObject({ apiVersion: 'v2', name: 'web', version: '1.0.0' });
    expect(chart.values).toEqual({ replicas: 2, enabled: true });
    expect(chart.schema).toEqual({ type: 'object' });
    expect(chart.templates.map((f) => f.name).sort()).toEqual(['templates/_helpers.tpl', 'templates/deploy.yaml']);
    expect(chart.files.map((f) => f.name).sort()).toEqual(['config/app.conf', 'crds/widget.yaml']);
    expect(chart.dependencies.map((d) => `${d.metadata.name}@${d.metadata.version} ${d.metadata.apiVersion}`)).toEqual([
      'cache@2.0.0 v2',
      'db@0.1.0 v1',
    ]);
    expect(chart.dependencies[1].templates.map((f) => f.name)).toEqual(['templates/svc.yaml']);
  });

  it('reads a packaged chart, with a v1 chart taking its dependencies from requirements.yaml', async () => {
    const chart = await loadChart(
      await tgz('legacy', {
        'Chart.yaml': 'name: legacy\nversion: 0.0.1\n',
        'requirements.yaml':
          'dependencies:\n  - {name: redis, version: "1.x", repository: "@stable", condition: redis.enabled}\n',
        'templates/a.yaml': 'a',
      }),
    );
    expect(chart.metadata).toMatchObject({ apiVersion: 'v1', name: 'legacy' });
    // Numbers where Chart.yaml wants text are read as Helm reads them.
    const numeric = await loadChart(await tgz('n', { 'Chart.yaml': 'name: n\nversion: 1\nappVersion: 1.10\n' }));
    expect(numeric.metadata).toMatchObject({ version: '1', appVersion: '1.1' });
    expect(chart.metadata.dependencies).toEqual([
      { name: 'redis', version: '1.x', repository: '@stable', condition: 'redis.enabled' },
    ]);
  });

  it("refuses what Helm's loader refuses, with its words", async () => {
    await expect(loadChart(path.join(dir, 'nothing-here'))).rejects.toThrow(
      `path "${path.join(dir, 'nothing-here')}" not found`,
    );
    await expect(loadChart(await tgz('x', { 'values.yaml': 'a: 1' }))).rejects.toThrow(
      new ChartLoadError('Chart.yaml file is missing'),
    );
    await expect(loadChart(await tgz('x', { 'Chart.yaml': 'version: 1.0.0' }))).rejects.toThrow(
      'validation: chart.metadata.name is required',
    );
    await expect(loadChart(await tgz('x', { 'Chart.yaml': 'name: x' }))).rejects.toThrow(
      'validation: chart.metadata.version is required',
    );
    await expect(
      loadChart(await tgz('x', { 'Chart.yaml': 'name: x\nversion: 1\n', 'values.yaml': 'a: [' })),
    ).rejects.toThrow(
      'cannot load values.yaml: error converting YAML to JSON: yaml: line 1: did not find expected node content',
    );
    await expect(loadChart(Buffer.from('not a gzip'))).rejects.toThrow();
  });
});
