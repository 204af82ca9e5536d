// Rewrites every object of the resources the EncryptionConfiguration lists, so each is stored under the current first
// key (upstream's `kubectl get secrets -A -o json | kubectl replace -f -`): an unchanged PUT makes the API server
// rewrite a value that an older key or `identity` stored, and leaves current ones alone.
// Usage (after `npm run build`): node dist/scripts/encrypt-secrets.js [--kubeconfig FILE] [--encryption-config FILE]
import { errorMessage, KubeObject } from '@skiff/api-machinery';
import { ConfigError } from '@skiff/config';
import { KubeApiError, KubeClient, ResourceRef } from '@skiff/kube-client';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';

interface ApiResourceList {
  groupVersion: string;
  resources: { name: string; namespaced: boolean; verbs: string[] }[];
}

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

/** `resources[].resources` of the EncryptionConfiguration: `secrets`, `deployments.apps`, `*.apps`, `*.`, `*.*`. */
function listedResources(file: string): string[] {
  const doc = parse(readFileSync(file, 'utf8')) as { resources?: { resources?: unknown }[] } | null;
  return (doc?.resources ?? []).flatMap((r) =>
    Array.isArray(r.resources) ? r.resources.filter((n): n is string => typeof n === 'string') : [],
  );
}

async function groupVersions(client: KubeClient): Promise<string[]> {
  const apis = await client.request<{ groups: { preferredVersion: { groupVersion: string } }[] }>('GET', '/apis');
  return ['v1', ...apis.groups.map((g) => g.preferredVersion.groupVersion)];
}

async function resourcesToRewrite(client: KubeClient, names: string[]): Promise<ResourceRef[]> {
  const refs: ResourceRef[] = [];
  for (const gv of await groupVersions(client)) {
    const [group, version] = gv.includes('/') ? gv.split('/') : ['', gv];
    const list = await client.request<ApiResourceList>('GET', group === '' ? '/api/v1' : `/apis/${gv}`);
    for (const r of list.resources) {
      if (r.name.includes('/') || !r.verbs.includes('list') || !r.verbs.includes('update')) continue;
      const listed = names.some((n) => {
        const [res, grp = ''] = n.split(/\.(.*)/s);
        return (res === '*' || res === r.name) && (grp === '*' || grp === group);
      });
      if (listed) refs.push({ group, version, resource: r.name, namespaced: r.namespaced });
    }
  }
  return refs;
}

async function rewrite(client: KubeClient, ref: ResourceRef): Promise<{ replaced: number; skipped: number }> {
  const resource = client.resource<KubeObject>(ref);
  let replaced = 0;
  let skipped = 0;
  let token: string | undefined;
  do {
    const page = await resource.list(undefined, { limit: 500, ...(token ? { continue: token } : {}) });
    for (const item of page.items) {
      try {
        await resource.update(item.metadata.namespace, {
          ...item,
          apiVersion: ref.group === '' ? ref.version : `${ref.group}/${ref.version}`,
          kind: page.kind?.replace(/List$/, '') ?? item.kind,
        });
        replaced += 1;
      } catch (err) {
        // Changed or deleted since the list: that write already stored it under the current key.
        if (err instanceof KubeApiError && (err.code === 409 || err.code === 404)) skipped += 1;
        else throw err;
      }
    }
    token = page.metadata.continue || undefined;
  } while (token);
  return { replaced, skipped };
}

async function main(): Promise<void> {
  const stateDir = path.resolve(process.env.SKIFF_STATE_DIR ?? '.skiff');
  const kubeconfig = flag('kubeconfig', process.env.KUBECONFIG ?? path.join(stateDir, 'kubeconfig'));
  const configFile = flag(
    'encryption-config',
    process.env.SKIFF_ENCRYPTION_CONFIG ?? path.join(stateDir, 'encryption-config.yaml'),
  );
  let names: string[];
  try {
    names = listedResources(configFile);
  } catch (err) {
    throw new ConfigError('SKIFF_ENCRYPTION_CONFIG', `cannot read ${configFile}: ${errorMessage(err)}`);
  }
  const client = KubeClient.fromKubeconfig(kubeconfig);
  try {
    for (const ref of await resourcesToRewrite(client, names)) {
      const { replaced, skipped } = await rewrite(client, ref);
      const what = ref.group === '' ? ref.resource : `${ref.resource}.${ref.group}`;
      console.log(`${what}: ${replaced} replaced${skipped ? `, ${skipped} changed meanwhile (already current)` : ''}`);
    }
  } finally {
    client.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : `encrypt-secrets failed: ${errorMessage(err)}`);
  process.exit(1);
});
