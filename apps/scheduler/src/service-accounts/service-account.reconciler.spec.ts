import { CONFIG_MAPS, NAMESPACES, SERVICE_ACCOUNTS } from '@skiff/controller-runtime';
import { FakeClock } from '@skiff/testing';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FakeBatchApi } from '../jobs/fake-batch-api.fixture';
import { RootCaPublisherReconciler, ROOT_CA_CONFIG_MAP } from './root-ca-publisher.reconciler';
import { ServiceAccountReconciler } from './service-account.reconciler';

const CA = '-----BEGIN CERTIFICATE-----\nskiff\n-----END CERTIFICATE-----\n';

describe(ServiceAccountReconciler.name, () => {
  let api: FakeBatchApi;
  let controller: ServiceAccountReconciler;

  beforeEach(() => {
    api = new FakeBatchApi(new FakeClock());
    controller = new ServiceAccountReconciler();
    controller.begin(api.ctx);
  });

  it('makes the default ServiceAccount of a new namespace, once, and again after it is deleted', async () => {
    api.create(NAMESPACES, { metadata: { name: 'team', namespace: '' }, status: { phase: 'Active' } });
    api.sync();
    expect(api.enqueued).toContain('team');
    await controller.reconcile(api.ctx, 'team');
    api.sync();
    await controller.reconcile(api.ctx, 'team');
    expect(api.list(SERVICE_ACCOUNTS).map((sa) => `${sa.metadata.namespace}/${sa.metadata.name}`)).toEqual([
      'team/default',
    ]);
    await api.ctx.client.resource(SERVICE_ACCOUNTS).delete('team', 'default');
    api.sync();
    await controller.reconcile(api.ctx, 'team');
    expect(api.get(SERVICE_ACCOUNTS, 'team', 'default')).toBeDefined();
  });

  it('leaves terminating and vanished namespaces alone', async () => {
    api.create(NAMESPACES, { metadata: { name: 'old', namespace: '' }, status: { phase: 'Terminating' } });
    api.sync();
    await controller.reconcile(api.ctx, 'old');
    await controller.reconcile(api.ctx, 'gone');
    expect(api.list(SERVICE_ACCOUNTS)).toEqual([]);
  });
});

describe(RootCaPublisherReconciler.name, () => {
  let api: FakeBatchApi;
  let controller: RootCaPublisherReconciler;

  let caDir: string;

  beforeEach(() => {
    caDir = mkdtempSync(path.join(tmpdir(), 'skiff-ca-'));
    const caFile = path.join(caDir, 'ca.crt');
    writeFileSync(caFile, CA);
    api = new FakeBatchApi(new FakeClock());
    controller = new RootCaPublisherReconciler({ caFile });
    controller.begin(api.ctx);
  });

  afterEach(() => rmSync(caDir, { recursive: true, force: true }));

  it('publishes kube-root-ca.crt with the cluster CA and puts it back after an edit', async () => {
    api.create(NAMESPACES, { metadata: { name: 'team', namespace: '' } });
    api.sync();
    await controller.reconcile(api.ctx, 'team');
    api.sync();
    const cm = api.get(CONFIG_MAPS, 'team', ROOT_CA_CONFIG_MAP)!;
    expect(cm.data).toEqual({ 'ca.crt': CA });
    expect(cm.metadata.annotations?.['kubernetes.io/description']).toMatch(/^Contains a CA bundle/);
    api.edit(CONFIG_MAPS, 'team', ROOT_CA_CONFIG_MAP, (o) => {
      o.data = { 'ca.crt': 'tampered', extra: 'x' };
    });
    api.sync();
    await controller.reconcile(api.ctx, 'team');
    expect(api.get(CONFIG_MAPS, 'team', ROOT_CA_CONFIG_MAP)!.data).toEqual({ 'ca.crt': CA });
  });
});
