import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { loadChart } from './chart';
import { HelmRenderer } from './renderer';
import {
  chartUrl,
  ChartRepositoryError,
  fetchIndex,
  findChartVersion,
  httpGet,
  indexOf,
  packageChart,
  parseIndex,
  parseOciReference,
} from './repository';

const WEB = path.join(__dirname, '..', '..', '..', 'charts', 'web');

describe('chart repositories: packages, index.yaml and versions as Helm keeps them', () => {
  let renderer: HelmRenderer;

  beforeAll(async () => {
    renderer = await HelmRenderer.load();
  });

  it('packages a chart under its name, the same bytes each time, and loads back the same chart', async () => {
    const a = await packageChart(WEB);
    const b = await packageChart(WEB);
    expect(a.fileName).toBe('web-0.1.0.tgz');
    expect(a.archive.equals(b.archive)).toBe(true);
    const names = gunzipSync(a.archive)
      .toString('latin1')
      .match(/web\/[\w./-]+/g);
    expect(names).toEqual(
      expect.arrayContaining(['web/Chart.yaml', 'web/values.yaml', 'web/templates/deployment.yaml']),
    );
    expect(names).not.toContain('web/.helmignore');
    const chart = await loadChart(a.archive);
    expect(chart.metadata).toMatchObject({ name: 'web', version: '0.1.0', appVersion: '1.36' });
    expect(chart.templates.map((t) => t.name)).toContain('templates/tests/test-connection.yaml');
  });

  it('writes an index with digests and relative URLs, and reads it back newest first', async () => {
    const pkg = await packageChart(WEB);
    const older = { ...pkg, metadata: { ...pkg.metadata, version: '0.0.9' }, fileName: 'web-0.0.9.tgz' };
    const pre = { ...pkg, metadata: { ...pkg.metadata, version: '0.2.0-rc.1' }, fileName: 'web-0.2.0-rc.1.tgz' };
    const index = indexOf(renderer, [older, pkg, pre], new Date('2026-12-04T10:00:00Z'));
    expect(index.entries.web.map((v) => v.version)).toEqual(['0.2.0-rc.1', '0.1.0', '0.0.9']);
    expect(index.entries.web[1]).toMatchObject({ urls: ['web-0.1.0.tgz'], created: '2026-12-04T10:00:00.000Z' });
    expect(index.entries.web[1].digest).toMatch(/^[0-9a-f]{64}$/);
    const text = renderer.toYaml(index);
    expect(text).toMatch(/^apiVersion: v1\nentries:\n  web:\n  - apiVersion: v2\n    appVersion: "1.36"\n/);
    const back = parseIndex(renderer, text);
    expect(back.entries.web.map((v) => v.version)).toEqual(['0.2.0-rc.1', '0.1.0', '0.0.9']);
  });

  it("picks versions as Helm's index does: exact, constraint, newest stable, and says why none matched", async () => {
    const index = parseIndex(
      renderer,
      'apiVersion: v1\nentries:\n  web:\n  - {name: web, version: 1.0.0}\n  - {name: web, version: 2.0.0-beta.1}\n  - {name: web, version: 1.2.0}\n  - {name: web, version: 1.10}\n',
    );
    // `version: 1.10` is YAML's number 1.1, read as Helm's typed read reads it: "1.1".
    expect(index.entries.web.map((v) => v.version)).toEqual(['2.0.0-beta.1', '1.2.0', '1.1', '1.0.0']);
    const pick = (v?: string) => findChartVersion(renderer, index, 'skiff', 'web', v).version;
    expect(pick()).toBe('1.2.0');
    expect(pick('2.0.0-beta.1')).toBe('2.0.0-beta.1');
    expect(pick('~1.0')).toBe('1.0.0');
    expect(pick('>=1.1 <1.2')).toBe('1.1');
    expect(pick('^2.0.0-0')).toBe('2.0.0-beta.1');
    expect(() => pick('3.0.0')).toThrow(
      new ChartRepositoryError(
        `chart "web" matching 3.0.0 not found in skiff index. (try 'helm repo update'): no chart version found for web-3.0.0`,
      ),
    );
    expect(() => findChartVersion(renderer, index, 'skiff', 'db')).toThrow(
      `chart "db" matching  not found in skiff index. (try 'helm repo update'): no chart name found`,
    );
    expect(() => pick('>>1')).toThrow(/improper constraint: >>1$/);
  });

  it('refuses an index without an apiVersion, or that is not YAML', () => {
    expect(() => parseIndex(renderer, 'entries: {}\n')).toThrow('no API version specified');
    expect(() => parseIndex(renderer, 'apiVersion: v1\nentries: [\n')).toThrow(/^error unmarshaling JSON: /);
  });

  it('resolves chart URLs against the repository and splits OCI references', () => {
    const v = { name: 'web', version: '0.1.0', urls: ['web-0.1.0.tgz'], created: '', digest: '' };
    expect(chartUrl('http://127.0.0.1:8879', v)).toBe('http://127.0.0.1:8879/web-0.1.0.tgz');
    expect(chartUrl('http://127.0.0.1:8879/stable/', v)).toBe('http://127.0.0.1:8879/stable/web-0.1.0.tgz');
    expect(chartUrl('http://a', { ...v, urls: ['http://127.0.0.1:9/x.tgz'] })).toBe('http://127.0.0.1:9/x.tgz');
    expect(parseOciReference('oci://127.0.0.1:5000/charts/web:0.1.0')).toEqual({
      registry: '127.0.0.1:5000',
      repository: 'charts/web',
      tag: '0.1.0',
    });
    expect(parseOciReference('oci://127.0.0.1:5000/charts/web')).toEqual({
      registry: '127.0.0.1:5000',
      repository: 'charts/web',
    });
    expect(() => parseOciReference('oci://nohost')).toThrow('invalid_reference: invalid repository "oci://nohost"');
  });

  describe('over HTTP', () => {
    let server: Server;
    let url: string;

    beforeAll(async () => {
      const pkg = await packageChart(WEB);
      const index = renderer.toYaml(indexOf(renderer, [pkg], new Date()));
      server = createServer((req, res) => {
        if (req.url === '/index.yaml') res.end(index);
        else if (req.url === '/web-0.1.0.tgz') res.end(pkg.archive);
        else res.writeHead(404).end('404 page not found\n');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    it('fetches the index and the chart it names', async () => {
      const { index } = await fetchIndex(renderer, `${url}/`);
      const found = findChartVersion(renderer, index, 'local', 'web');
      const chart = await loadChart(await httpGet(chartUrl(url, found)));
      expect(chart.metadata.name).toBe('web');
    });

    it('says what Helm says of a repository that is not one, or cannot be reached, and of a missing chart', async () => {
      await expect(fetchIndex(renderer, `${url}/sub`)).rejects.toThrow(
        `looks like "${url}/sub" is not a valid chart repository or cannot be reached: failed to fetch ${url}/sub/index.yaml : 404 Not Found`,
      );
      const closed = await closedPort();
      await expect(fetchIndex(renderer, `http://127.0.0.1:${closed}`)).rejects.toThrow(
        `looks like "http://127.0.0.1:${closed}" is not a valid chart repository or cannot be reached: Get "http://127.0.0.1:${closed}/index.yaml": connect ECONNREFUSED 127.0.0.1:${closed}`,
      );
      await expect(httpGet(`${url}/web-9.tgz`)).rejects.toThrow(`failed to fetch ${url}/web-9.tgz : 404 Not Found`);
    });
  });
});

/** A loopback port nothing listens on (one just closed). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}
