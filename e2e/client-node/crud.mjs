// CRUD and list-then-watch through @kubernetes/client-node (an ES module, so it runs in its own
// Node process). Prints one JSON line per step; exits non-zero on the first failure.
import * as k8s from '@kubernetes/client-node';

const [kubeconfig, ns] = process.argv.slice(2);
const kc = new k8s.KubeConfig();
kc.loadFromFile(kubeconfig);
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);
const out = (step, data) => console.log(JSON.stringify({ step, ...data }));

await core.createNamespace({ body: { metadata: { name: ns } } });
const created = await core.createNamespacedConfigMap({
  namespace: ns,
  body: { metadata: { name: 'cfg', labels: { app: 'demo' } }, data: { a: '1' } },
});
out('create', { uid: created.metadata.uid, rv: created.metadata.resourceVersion });

const read = await core.readNamespacedConfigMap({ name: 'cfg', namespace: ns });
out('read', { data: read.data });

read.data.a = '2';
const replaced = await core.replaceNamespacedConfigMap({ name: 'cfg', namespace: ns, body: read });
out('replace', { data: replaced.data });

try {
  await core.replaceNamespacedConfigMap({ name: 'cfg', namespace: ns, body: read });
  out('stale-replace', { code: 200 });
} catch (err) {
  out('stale-replace', { code: err.code, reason: JSON.parse(err.body).reason });
}

// client-node's default PATCH type is JSON patch.
const patched = await core.patchNamespacedConfigMap({
  name: 'cfg',
  namespace: ns,
  body: [{ op: 'add', path: '/data/b', value: '3' }],
});
out('patch', { data: patched.data });

const dep = await apps.createNamespacedDeployment({
  namespace: ns,
  body: {
    metadata: { name: 'web' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } },
    },
  },
});
out('deployment', {
  strategy: dep.spec.strategy.type,
  pullPolicy: dep.spec.template.spec.containers[0].imagePullPolicy,
});

const list = await core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'app=demo' });
out('list', { names: list.items.map((i) => i.metadata.name), rv: list.metadata.resourceVersion });

const seen = [];
const watch = new k8s.Watch(kc);
let request;
const done = new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`watch saw only: ${seen.join(', ')}`)), 15000);
  watch
    .watch(
      `/api/v1/namespaces/${ns}/configmaps`,
      { resourceVersion: list.metadata.resourceVersion },
      (type, obj) => {
        seen.push(`${type} ${obj.metadata.name}`);
        if (type === 'DELETED') {
          clearTimeout(timer);
          resolve();
        }
      },
      (err) => (err ? reject(err) : resolve()),
    )
    .then((req) => (request = req));
});
await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'second' } } });
await core.patchNamespacedConfigMap({
  name: 'second',
  namespace: ns,
  body: [{ op: 'add', path: '/data', value: { x: 'y' } }],
});
await core.deleteNamespacedConfigMap({ name: 'second', namespace: ns });
await done;
request?.abort();
out('watch', { seen });

await core.deleteNamespacedConfigMap({ name: 'cfg', namespace: ns });
try {
  await core.readNamespacedConfigMap({ name: 'cfg', namespace: ns });
  out('read-deleted', { code: 200 });
} catch (err) {
  out('read-deleted', { code: err.code });
}
