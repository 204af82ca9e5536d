import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runChart, SHOP_CHART as CHART } from './fixtures/chart-cli';

// `npm run chart -- template` on a chart the project writes (e2e/fixtures/charts/shop: a library chart, a subchart
// with globals and a condition, a schema, hooks, a test, .Files, tpl, toYaml, lookup, CRDs), through the built CLI.

const chart = (...args: string[]) => runChart(args);
const sources = (out: string) => [...out.matchAll(/^# Source: (.*)$/gm)].map((m) => m[1]);
const doc = (out: string, source: string) => out.split('---\n').find((d) => d.startsWith(`# Source: ${source}\n`));

describe('chart template (Helm 3 command line, rendered by Go text/template in WebAssembly)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'skiff-chart-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('renders the chart in install order, hooks after, the subchart with its share of values and globals', async () => {
    const out = await chart('template', 'shop', CHART, '-n', 'prod', '--set', 'replicaCount=2', '--include-crds');
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(sources(out.stdout)).toEqual([
      'shop/crds/widgets.yaml',
      'shop/templates/secret.yaml',
      'shop/charts/cache/templates/configmap.yaml',
      'shop/templates/configmap.yaml',
      'shop/templates/service.yaml',
      'shop/templates/deployment.yaml',
      'shop/templates/tests/test-connection.yaml',
      'shop/templates/hooks/pre-install-job.yaml',
    ]);
    expect(doc(out.stdout, 'shop/charts/cache/templates/configmap.yaml')).toBe(
      `# Source: shop/charts/cache/templates/configmap.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: shop-cache
  labels:
    app.kubernetes.io/name: cache
    app.kubernetes.io/instance: shop
    app.kubernetes.io/managed-by: Helm
    helm.sh/chart: cache-0.1.0
    team: shop
data:
  size: "64"
  tier: backend
`,
    );
    expect(doc(out.stdout, 'shop/templates/configmap.yaml')).toBe(
      `# Source: shop/templates/configmap.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: shop-shop-config
data:
  greeting: "hello from shop in prod"
  motd: "Welcome to the shop."
  config.yaml: |
    features:
    - cart
    - search
    mode: fast
  feature-0: "CART"
  feature-1: "SEARCH"
  kube-minor: "32"
  has-hpa-v2: "true"
`,
    );
    expect(doc(out.stdout, 'shop/templates/deployment.yaml')).toContain(
      '  replicas: 2\n' + '  selector:\n    matchLabels:\n      app: shop-shop\n',
    );
    expect(doc(out.stdout, 'shop/templates/deployment.yaml')).toContain('image: "busybox:1.36"');
  });

  it('takes values files, --set-file and --set-string, turns a subchart off by its condition, and drops hooks on request', async () => {
    const values = path.join(dir, 'prod.yaml');
    writeFileSync(values, 'cache:\n  enabled: false\nimage:\n  tag: "1.35"\n');
    const motd = path.join(dir, 'greeting.txt');
    writeFileSync(motd, 'hi {{ .Chart.Name }}');
    const out = await chart(
      'template',
      CHART,
      '-f',
      values,
      `--set-file=greeting=${motd}`,
      '--set-string',
      'service.port=8080',
      '--no-hooks',
    );
    expect(out.code).toBe(0);
    expect(sources(out.stdout)).toEqual([
      'shop/templates/secret.yaml',
      'shop/templates/configmap.yaml',
      'shop/templates/service.yaml',
      'shop/templates/deployment.yaml',
    ]);
    expect(out.stdout).toContain('name: release-name-shop\n');
    expect(out.stdout).toContain('greeting: "hi shop"');
    expect(out.stdout).toContain('image: "busybox:1.35"');
    expect(out.stdout).toContain('- port: 8080');
    const noTests = await chart('template', 'shop', CHART, '--skip-tests');
    expect(sources(noTests.stdout)).not.toContain('shop/templates/tests/test-connection.yaml');
    expect(sources(noTests.stdout)).toContain('shop/templates/hooks/pre-install-job.yaml');
  });

  it('says what is wrong as Helm says it, and exits 1', async () => {
    const schema = await chart('template', 'shop', CHART, '--set', 'replicaCount=0');
    expect(schema.code).toBe(1);
    expect(schema.stderr).toBe(
      "Error: values don't meet the specifications of the schema(s) in the following chart(s):\nshop:\n- replicaCount: Must be greater than or equal to 1\n\n",
    );
    const required = await chart('template', 'shop', CHART, '--set', 'image.repository=');
    expect(required.stderr).toMatch(
      /^Error: execution error at \(shop\/templates\/deployment\.yaml:19:\d+\): image\.repository is required\n$/,
    );
    expect((await chart('template', 'shop', CHART, '--set', 'replicaCount')).stderr).toBe(
      'Error: failed parsing --set data: key "replicaCount" has no value\n',
    );
    expect((await chart('template', 'Bad_Name', CHART)).stderr).toMatch(
      /^Error: invalid release name, must match regex/,
    );
    expect((await chart('template', 'shop', path.join(dir, 'missing'))).stderr).toBe(
      `Error: path "${path.join(dir, 'missing')}" not found\n`,
    );
    expect((await chart('template', 'shop', CHART, '--bogus')).stderr).toBe('Error: unknown flag: --bogus\n');
  });
});
