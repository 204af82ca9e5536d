import { KubeObject, parseGoDuration } from '@skiff/api-machinery';

/** A condition as Flux (and metav1.Condition) writes them. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface HelmRepository extends KubeObject {
  spec: { url: string; type?: 'default' | 'oci'; interval?: string; timeout?: string; suspend?: boolean };
  status?: {
    observedGeneration?: number;
    conditions?: Condition[];
    url?: string;
    artifact?: { revision: string; digest: string; lastUpdateTime: string; size: number; url: string; path: string };
  };
}

export interface Remediation {
  retries?: number;
  remediateLastFailure?: boolean;
  strategy?: 'rollback' | 'uninstall';
}

export interface HelmRelease extends KubeObject {
  spec: {
    chart: {
      spec: {
        chart: string;
        version?: string;
        sourceRef: { kind: string; name: string; namespace?: string; apiVersion?: string };
      };
    };
    interval: string;
    releaseName?: string;
    targetNamespace?: string;
    timeout?: string;
    suspend?: boolean;
    install?: { createNamespace?: boolean; disableWait?: boolean; disableHooks?: boolean; remediation?: Remediation };
    upgrade?: { disableWait?: boolean; disableHooks?: boolean; remediation?: Remediation };
    rollback?: { disableWait?: boolean; disableHooks?: boolean };
    uninstall?: { keepHistory?: boolean; disableHooks?: boolean };
    test?: { enable?: boolean };
    values?: Record<string, unknown>;
    valuesFrom?: {
      kind: 'ConfigMap' | 'Secret';
      name: string;
      valuesKey?: string;
      targetPath?: string;
      optional?: boolean;
    }[];
  };
  status?: HelmReleaseStatus;
}

export interface HelmReleaseStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  history?: Snapshot[];
  lastAttemptedGeneration?: number;
  lastAttemptedRevision?: string;
  lastAttemptedConfigDigest?: string;
  lastAttemptedReleaseAction?: 'install' | 'upgrade';
  installFailures?: number;
  upgradeFailures?: number;
  failures?: number;
}

/** One revision of the release as Flux's status.history records it (newest first). */
export interface Snapshot {
  name: string;
  namespace: string;
  version: number;
  status: string;
  chartName: string;
  chartVersion: string;
  appVersion?: string;
  configDigest: string;
  firstDeployed: string;
  lastDeployed: string;
  deleted?: string;
  testHooks?: Record<string, { lastStarted?: string; lastCompleted?: string; phase?: string }>;
}

const CONDITIONS_SCHEMA = {
  type: 'array',
  items: {
    type: 'object',
    required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'],
    properties: {
      type: { type: 'string' },
      status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
      observedGeneration: { type: 'integer', format: 'int64' },
      lastTransitionTime: { type: 'string', format: 'date-time' },
      reason: { type: 'string' },
      message: { type: 'string' },
    },
  },
};
const DURATION = { type: 'string', pattern: '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$' };
const READY_COLUMNS = [
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
  { name: 'Status', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].message' },
];

function crd(
  group: string,
  version: string,
  kind: string,
  plural: string,
  shortNames: string[],
  columns: object[],
  spec: object,
  status: object,
) {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural, singular: kind.toLowerCase(), kind, listKind: `${kind}List`, shortNames },
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: columns,
          schema: { openAPIV3Schema: { type: 'object', required: ['spec'], properties: { spec, status } } },
        },
      ],
    },
  };
}

export const HELM_REPOSITORY_CRD = crd(
  'source.toolkit.fluxcd.io',
  'v1',
  'HelmRepository',
  'helmrepositories',
  ['helmrepo'],
  [{ name: 'URL', type: 'string', jsonPath: '.spec.url' }, ...READY_COLUMNS],
  {
    type: 'object',
    required: ['url'],
    properties: {
      url: { type: 'string', pattern: '^(http|https|oci)://.*$' },
      type: { type: 'string', enum: ['default', 'oci'] },
      interval: DURATION,
      timeout: DURATION,
      suspend: { type: 'boolean' },
    },
  },
  {
    type: 'object',
    properties: {
      observedGeneration: { type: 'integer', format: 'int64' },
      conditions: CONDITIONS_SCHEMA,
      url: { type: 'string' },
      artifact: {
        type: 'object',
        required: ['revision', 'lastUpdateTime', 'url', 'path'],
        properties: {
          revision: { type: 'string' },
          digest: { type: 'string' },
          lastUpdateTime: { type: 'string', format: 'date-time' },
          size: { type: 'integer', format: 'int64' },
          url: { type: 'string' },
          path: { type: 'string' },
        },
      },
    },
  },
);

const REMEDIATION = {
  type: 'object',
  properties: {
    retries: { type: 'integer', minimum: 0 },
    remediateLastFailure: { type: 'boolean' },
    strategy: { type: 'string', enum: ['rollback', 'uninstall'] },
  },
};
const ACTION_FLAGS = { disableWait: { type: 'boolean' }, disableHooks: { type: 'boolean' } };

export const HELM_RELEASE_CRD = crd(
  'helm.toolkit.fluxcd.io',
  'v2',
  'HelmRelease',
  'helmreleases',
  ['hr'],
  READY_COLUMNS,
  {
    type: 'object',
    required: ['interval', 'chart'],
    properties: {
      chart: {
        type: 'object',
        required: ['spec'],
        properties: {
          spec: {
            type: 'object',
            required: ['chart', 'sourceRef'],
            properties: {
              chart: { type: 'string', minLength: 1 },
              version: { type: 'string', default: '*' },
              sourceRef: {
                type: 'object',
                required: ['kind', 'name'],
                properties: {
                  apiVersion: { type: 'string' },
                  kind: { type: 'string', enum: ['HelmRepository'] },
                  name: { type: 'string', minLength: 1 },
                  namespace: { type: 'string' },
                },
              },
            },
          },
        },
      },
      interval: DURATION,
      releaseName: { type: 'string', maxLength: 53, minLength: 1 },
      targetNamespace: { type: 'string', maxLength: 63, minLength: 1 },
      timeout: DURATION,
      suspend: { type: 'boolean' },
      install: {
        type: 'object',
        properties: { createNamespace: { type: 'boolean' }, ...ACTION_FLAGS, remediation: REMEDIATION },
      },
      upgrade: { type: 'object', properties: { ...ACTION_FLAGS, remediation: REMEDIATION } },
      rollback: { type: 'object', properties: ACTION_FLAGS },
      uninstall: {
        type: 'object',
        properties: { keepHistory: { type: 'boolean' }, disableHooks: { type: 'boolean' } },
      },
      test: { type: 'object', properties: { enable: { type: 'boolean' } } },
      values: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      valuesFrom: {
        type: 'array',
        items: {
          type: 'object',
          required: ['kind', 'name'],
          properties: {
            kind: { type: 'string', enum: ['ConfigMap', 'Secret'] },
            name: { type: 'string', minLength: 1, maxLength: 253 },
            valuesKey: { type: 'string', maxLength: 253 },
            targetPath: { type: 'string', maxLength: 250 },
            optional: { type: 'boolean' },
          },
        },
      },
    },
  },
  {
    type: 'object',
    properties: {
      observedGeneration: { type: 'integer', format: 'int64' },
      conditions: CONDITIONS_SCHEMA,
      history: { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      lastAttemptedGeneration: { type: 'integer', format: 'int64' },
      lastAttemptedRevision: { type: 'string' },
      lastAttemptedConfigDigest: { type: 'string' },
      lastAttemptedReleaseAction: { type: 'string', enum: ['install', 'upgrade'] },
      installFailures: { type: 'integer', format: 'int64' },
      upgradeFailures: { type: 'integer', format: 'int64' },
      failures: { type: 'integer', format: 'int64' },
    },
  },
);

/** A Flux duration field ("10m", "1h30m"; the CRD's pattern admits only Go durations) in milliseconds. */
export function durationMs(text: string | undefined, fallbackMs: number): number {
  return text ? parseGoDuration(text) : fallbackMs;
}

/** A condition set in a list: its transition time kept when its status did not change. */
export function setCondition(
  conditions: Condition[] | undefined,
  next: Omit<Condition, 'lastTransitionTime'>,
  now: string,
): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === next.type);
  const old = i >= 0 ? list[i] : undefined;
  const condition = { ...next, lastTransitionTime: old && old.status === next.status ? old.lastTransitionTime : now };
  if (i >= 0) list[i] = condition;
  else list.push(condition);
  return list;
}
