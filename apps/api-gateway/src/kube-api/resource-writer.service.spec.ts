import type { RbacEscalationCheck } from '../authorization/rbac-escalation.check';
import { ApiError, Clock, JsonObject, KubeObject } from '@skiff/api-machinery';
import { ResourceRegistry } from '@skiff/api-server';
import { ObjectKey } from '../storage/object-key';
import { ListResult, ObjectStoreRepository, WriteDecision, WriteResult } from '../storage/object-store.repository';
import { serviceAccountServices } from '../auth/service-accounts.fixture';
import { AdmissionService } from './admission.service';
import { parseRequestInfo } from './request-info';
import { resolveResource, ResourceContext } from './resource-context';
import { ResourceReaderService } from './resource-reader.service';
import { ResourceWriterService, WriteOptions } from './resource-writer.service';
import { ResourceStrategies } from './strategies';
import { InMemoryClusterIps } from '../services/in-memory-cluster-ips.fixture';

/** The store's read-modify-write contract over a map, with resourceVersions counting up. */
class InMemoryObjectStore {
  private readonly objects = new Map<string, KubeObject>();
  private rv = 100;

  async get(key: ObjectKey): Promise<KubeObject | undefined> {
    const o = this.objects.get(this.id(key));
    return o ? structuredClone(o) : undefined;
  }

  async list(q: { group: string; resource: string; namespace?: string }): Promise<ListResult> {
    const prefix = `${q.group}/${q.resource}/${q.namespace === undefined ? '' : `${q.namespace}/`}`;
    const items = [...this.objects].filter(([k]) => k.startsWith(prefix)).map(([, o]) => structuredClone(o));
    return { items, resourceVersion: this.rv, more: false };
  }

  async write(key: ObjectKey, decide: (current: KubeObject | undefined) => WriteDecision): Promise<WriteResult> {
    const d = decide(await this.get(key));
    if (d.op === 'none') return { op: 'none', object: d.object };
    if (d.op === 'delete') {
      this.objects.delete(this.id(key));
      return { op: 'delete', object: d.object };
    }
    const stored = { ...d.object, metadata: { ...d.object.metadata, resourceVersion: String(++this.rv) } };
    this.objects.set(this.id(key), stored);
    return { op: d.op, object: structuredClone(stored) };
  }

  private id(k: ObjectKey): string {
    return `${k.group}/${k.resource}/${k.namespace}/${k.name}`;
  }
}

const OPTS: WriteOptions = { dryRun: false, fieldManager: 'kubectl-debug', fieldValidation: 'Strict' };
const SMP = 'application/strategic-merge-patch+json';
// The patch kubectl 1.32 computes for `kubectl debug -it pod/x --image=busybox --target=app -- sh`.
const DEBUG_PATCH = {
  spec: {
    ephemeralContainers: [
      {
        command: ['sh'],
        image: 'busybox',
        name: 'debugger-abcde',
        resources: {},
        stdin: true,
        targetContainerName: 'app',
        terminationMessagePolicy: 'File',
        tty: true,
      },
    ],
  },
};

describe(ResourceWriterService.name, () => {
  const registry = new ResourceRegistry();
  let store: InMemoryObjectStore;
  let writer: ResourceWriterService;
  let reader: ResourceReaderService;
  const ctx = (method: string, subresource?: string): ResourceContext => {
    const path = `/api/v1/namespaces/default/pods/x${subresource ? `/${subresource}` : ''}`;
    return resolveResource(registry, parseRequestInfo(method, path, new URLSearchParams())!, path);
  };
  const invalid = async (p: Promise<unknown>): Promise<{ code: number; message: string }> => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(err instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(err)}`);
    return { code: err.code, message: err.message };
  };

  beforeEach(async () => {
    store = new InMemoryObjectStore();
    const repo = store as unknown as ObjectStoreRepository;
    writer = new ResourceWriterService(
      repo,
      new AdmissionService(
        registry,
        repo,
        // No RBAC kinds are written here: no escalation check is ever prepared.
        {} as RbacEscalationCheck,
        serviceAccountServices(repo, new Clock(), { SKIFF_DISABLE_ADMISSION_PLUGINS: 'ServiceAccount' }).admission,
      ),
      new Clock(),
      registry,
      new ResourceStrategies(new InMemoryClusterIps()),
    );
    reader = new ResourceReaderService(repo);
    await store.write({ group: '', resource: 'namespaces', namespace: '', name: 'default' }, () => ({
      op: 'create',
      object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } },
    }));
    const pod: JsonObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'x', labels: { app: 'x' } },
      spec: { containers: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'] }] },
    };
    await writer.create(ctx('POST'), pod, OPTS);
  });

  describe('pods/ephemeralcontainers', () => {
    it('serves the pod on GET', async () => {
      const pod = await reader.get(ctx('GET', 'ephemeralcontainers'), 'x');
      expect(pod).toMatchObject({ kind: 'Pod', metadata: { name: 'x' } });
    });

    it("adds kubectl debug's container with a strategic merge patch and answers with the pod", async () => {
      const out = await writer.patch(ctx('PATCH', 'ephemeralcontainers'), 'x', SMP, DEBUG_PATCH, OPTS);
      const spec = out.object.spec as { containers: unknown[]; ephemeralContainers: Record<string, unknown>[] };
      expect(out.object.kind).toBe('Pod');
      expect(spec.ephemeralContainers).toEqual([
        expect.objectContaining({
          name: 'debugger-abcde',
          image: 'busybox',
          targetContainerName: 'app',
          stdin: true,
          tty: true,
          imagePullPolicy: 'Always',
        }),
      ]);
      expect(spec.containers).toHaveLength(1);
      expect(out.object.metadata.managedFields).toContainEqual(
        expect.objectContaining({ manager: 'kubectl-debug', subresource: 'ephemeralcontainers' }),
      );
    });

    it('changes nothing but spec.ephemeralContainers', async () => {
      const patch = {
        metadata: { labels: { app: 'changed' } },
        spec: { ...DEBUG_PATCH.spec, activeDeadlineSeconds: 5 },
        status: { phase: 'Failed' },
      };
      const out = await writer.patch(ctx('PATCH', 'ephemeralcontainers'), 'x', SMP, patch, OPTS);
      expect(out.object.metadata.labels).toEqual({ app: 'x' });
      expect(out.object.spec).not.toHaveProperty('activeDeadlineSeconds');
      expect(out.object.status).toEqual({ phase: 'Pending' });
      expect((out.object.spec as { ephemeralContainers: unknown[] }).ephemeralContainers).toHaveLength(1);
    });

    it('takes a PUT of the whole pod the same way', async () => {
      const current = await reader.get(ctx('GET', 'ephemeralcontainers'), 'x');
      const spec = current.spec as JsonObject;
      const body = {
        ...current,
        spec: { ...spec, ephemeralContainers: DEBUG_PATCH.spec.ephemeralContainers },
      } as unknown as JsonObject;
      const out = await writer.update(ctx('PUT', 'ephemeralcontainers'), 'x', body, OPTS);
      expect((out.object.spec as { ephemeralContainers: unknown[] }).ephemeralContainers).toHaveLength(1);
    });

    it("refuses removing one with upstream's 422", async () => {
      const added = await writer.patch(ctx('PATCH', 'ephemeralcontainers'), 'x', SMP, DEBUG_PATCH, OPTS);
      const body = {
        ...added.object,
        spec: { ...(added.object.spec as JsonObject), ephemeralContainers: [] },
      } as unknown as JsonObject;
      expect(await invalid(writer.update(ctx('PUT', 'ephemeralcontainers'), 'x', body, OPTS))).toEqual({
        code: 422,
        message:
          'Pod "x" is invalid: spec.ephemeralContainers: Forbidden: existing ephemeral containers "debugger-abcde" may not be removed\n',
      });
    });

    it('refuses a target that is not a container of the pod', async () => {
      const patch = {
        spec: { ephemeralContainers: [{ ...DEBUG_PATCH.spec.ephemeralContainers[0], targetContainerName: 'nope' }] },
      };
      expect(await invalid(writer.patch(ctx('PATCH', 'ephemeralcontainers'), 'x', SMP, patch, OPTS))).toEqual({
        code: 422,
        message: 'Pod "x" is invalid: spec.ephemeralContainers[0].targetContainerName: Not found: "nope"',
      });
    });

    it('is not a way in through the pod itself', async () => {
      const err = await invalid(writer.patch(ctx('PATCH'), 'x', SMP, DEBUG_PATCH, OPTS));
      expect(err.code).toBe(422);
      expect(err.message).toMatch(/^Pod "x" is invalid: spec: Forbidden: pod updates may not change fields other than/);
    });
  });
});
