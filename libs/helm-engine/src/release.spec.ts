import { gunzipSync } from 'node:zlib';
import { chartOf } from './helm-chart.fixture';
import { decodeRelease, Release, releaseChartOf, releaseFromSecret, releaseSecret } from './release';

const release: Release = {
  name: 'shop',
  info: {
    first_deployed: '2026-12-04T10:00:00.123456789Z',
    last_deployed: '2026-12-04T10:00:00.123456789Z',
    deleted: '',
    description: 'Install complete',
    status: 'deployed',
    notes: 'Thanks',
  },
  chart: releaseChartOf(chartOf('web', { values: { a: 1 }, templates: { 'x.yaml': 'kind: ConfigMap' } })),
  config: { replicas: 3 },
  manifest: '---\n# Source: web/templates/x.yaml\nkind: ConfigMap\n',
  version: 2,
  namespace: 'prod',
};

describe('Helm 3 release Secrets', () => {
  it("stores a revision as Helm does: the Secret's name, type and labels, data.release = base64(gzip(JSON))", () => {
    const secret = releaseSecret(release, { createdAt: 1764842400 });
    expect(secret.metadata).toEqual({
      name: 'sh.helm.release.v1.shop.v2',
      namespace: 'prod',
      labels: { name: 'shop', owner: 'helm', status: 'deployed', version: '2', createdAt: '1764842400' },
    });
    expect(secret.type).toBe('helm.sh/release.v1');
    // What `kubectl get secret -o jsonpath='{.data.release}' | base64 -d | base64 -d | gunzip` shows.
    const stored = (secret.data as { release: string }).release;
    const json = JSON.parse(gunzipSync(Buffer.from(Buffer.from(stored, 'base64').toString(), 'base64')).toString());
    expect(json).toEqual({ ...release });
    expect(json.chart.templates).toEqual([
      { name: 'templates/x.yaml', data: Buffer.from('kind: ConfigMap').toString('base64') },
    ]);
    expect(json.chart.lock).toBeNull();
    expect(releaseFromSecret(secret)).toEqual(release);
  });

  it('reads a release stored as plain JSON, and refuses a Secret that is not one', () => {
    expect(decodeRelease(Buffer.from(JSON.stringify(release)).toString('base64'))).toEqual(release);
    expect(() => releaseFromSecret({ metadata: { name: 'x' }, type: 'Opaque', data: {} })).toThrow(
      'secret x is not a Helm release (type Opaque)',
    );
  });
});
