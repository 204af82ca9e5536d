// Upstream's default ClusterRoles and ClusterRoleBindings (plugin/pkg/auth/authorizer/rbac/bootstrappolicy),
// the ones a Skiff cluster serves kinds for.
import type { ClusterRole, ClusterRoleBinding, PolicyRule } from '@skiff/kube-types';

export const AUTOUPDATE_ANNOTATION = 'rbac.authorization.kubernetes.io/autoupdate';
const BOOTSTRAPPING = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };
const AGGREGATE_TO = (role: string): string => `rbac.authorization.k8s.io/aggregate-to-${role}`;

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'update', 'patch', 'delete', 'deletecollection'];
const READ_WRITE = [...READ, ...WRITE];

const rule = (verbs: string[], apiGroups: string[], resources: string[]): PolicyRule => ({
  verbs,
  apiGroups,
  resources,
});
const urls = (verbs: string[], nonResourceURLs: string[]): PolicyRule => ({ verbs, nonResourceURLs });

function clusterRole(name: string, rules: PolicyRule[], labels: Record<string, string> = {}): ClusterRole {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name, labels: { ...BOOTSTRAPPING, ...labels }, annotations: { [AUTOUPDATE_ANNOTATION]: 'true' } },
    rules,
  };
}

function aggregated(name: string, labels: Record<string, string> = {}): ClusterRole {
  return {
    ...clusterRole(name, [], labels),
    aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [AGGREGATE_TO(name)]: 'true' } }] },
  };
}

function binding(name: string, subjects: [kind: 'User' | 'Group', name: string][], role = name): ClusterRoleBinding {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name, labels: { ...BOOTSTRAPPING }, annotations: { [AUTOUPDATE_ANNOTATION]: 'true' } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects: subjects.map(([kind, subject]) => ({ kind, apiGroup: 'rbac.authorization.k8s.io', name: subject })),
  };
}

/** Leader election, Events and CRD installation: what every Skiff controller service does. */
const CONTROLLER_BASICS: PolicyRule[] = [
  rule(READ_WRITE, ['coordination.k8s.io'], ['leases']),
  rule(['create', 'update', 'patch'], ['', 'events.k8s.io'], ['events']),
  rule([...READ, 'create', 'update', 'patch'], ['apiextensions.k8s.io'], ['customresourcedefinitions']),
];

/**
 * Each Skiff service's own identity (a client certificate, `COMPONENT_IDENTITIES`) and what it may do, as upstream's
 * `system:kube-scheduler`, `system:kube-controller-manager` and controller roles. Only the catalog's Helm actions
 * (`system:skiff:helm-controller`) hold cluster-admin, as Flux's helm-controller does: a chart may hold any kind.
 */
export const COMPONENT_CLUSTER_ROLES: readonly ClusterRole[] = [
  // The scheduler is also Skiff's controller manager: the garbage collector and the namespace controller read,
  // update and delete every kind (upstream's generic-garbage-collector and namespace-controller roles); it creates
  // only what its controllers own.
  clusterRole('system:skiff:scheduler', [
    ...CONTROLLER_BASICS,
    rule([...READ, 'update', 'patch', 'delete', 'deletecollection'], ['*'], ['*']),
    rule(
      ['create'],
      [''],
      ['pods', 'pods/binding', 'pods/eviction', 'configmaps', 'serviceaccounts', 'persistentvolumeclaims', 'nodes'],
    ),
    rule(['create'], ['apps'], ['replicasets', 'controllerrevisions']),
    rule(['create'], ['batch'], ['jobs']),
    rule(['create'], ['node.k8s.io'], ['runtimeclasses']),
    // The clusterrole-aggregation controller writes rules it does not hold itself.
    rule(['escalate'], ['rbac.authorization.k8s.io'], ['clusterroles']),
  ]),
  clusterRole('system:skiff:network-svc', [
    ...CONTROLLER_BASICS,
    rule(READ, [''], ['namespaces', 'secrets', 'configmaps', 'nodes']),
    rule([...READ, 'update', 'patch'], [''], ['pods']),
    rule(READ_WRITE, [''], ['services', 'services/status', 'endpoints']),
    rule(READ_WRITE, ['discovery.k8s.io'], ['endpointslices']),
    rule(READ, ['networking.k8s.io'], ['ingresses', 'networkpolicies']),
    rule(READ_WRITE, ['networking.k8s.io'], ['ingresses/status', 'ingressclasses']),
    rule(READ_WRITE, ['network.skiff.io'], ['elasticips', 'elasticips/status']),
  ]),
  clusterRole('system:skiff:storage-svc', [
    ...CONTROLLER_BASICS,
    rule(READ, [''], ['pods', 'namespaces', 'nodes']),
    rule(READ_WRITE, [''], ['persistentvolumeclaims', 'persistentvolumeclaims/status']),
    rule(READ_WRITE, [''], ['persistentvolumes', 'persistentvolumes/status']),
    rule(READ_WRITE, ['storage.k8s.io'], ['storageclasses', 'volumeattachments', 'volumeattachments/status']),
  ]),
  clusterRole('system:skiff:log-svc', [
    ...CONTROLLER_BASICS,
    rule(READ, [''], ['pods', 'namespaces']),
    rule(READ_WRITE, ['logs.skiff.io'], ['logstores', 'logstores/status']),
  ]),
];

export const BOOTSTRAP_CLUSTER_ROLES: readonly ClusterRole[] = [
  clusterRole('cluster-admin', [rule(['*'], ['*'], ['*']), urls(['*'], ['*'])]),
  urlsRole('system:discovery', [
    '/api',
    '/api/*',
    '/apis',
    '/apis/*',
    '/healthz',
    '/livez',
    '/openapi',
    '/openapi/*',
    '/readyz',
    '/version',
    '/version/',
  ]),
  urlsRole('system:public-info-viewer', ['/healthz', '/livez', '/readyz', '/version', '/version/']),
  urlsRole('system:monitoring', [
    '/healthz',
    '/healthz/*',
    '/livez',
    '/livez/*',
    '/metrics',
    '/metrics/slis',
    '/readyz',
    '/readyz/*',
  ]),
  urlsRole('system:service-account-issuer-discovery', [
    '/.well-known/openid-configuration',
    '/.well-known/openid-configuration/',
    '/openid/v1/jwks',
    '/openid/v1/jwks/',
  ]),
  clusterRole('system:basic-user', [
    rule(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']),
    rule(['create'], ['authentication.k8s.io'], ['selfsubjectreviews']),
  ]),
  clusterRole('system:auth-delegator', [
    rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
    rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
  ]),
  aggregated('admin'),
  aggregated('edit', { [AGGREGATE_TO('admin')]: 'true' }),
  aggregated('view', { [AGGREGATE_TO('edit')]: 'true' }),
  clusterRole(
    'system:aggregate-to-admin',
    [
      rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']),
      rule(READ_WRITE, ['rbac.authorization.k8s.io'], ['roles', 'rolebindings']),
    ],
    { [AGGREGATE_TO('admin')]: 'true' },
  ),
  clusterRole(
    'system:aggregate-to-edit',
    [
      rule(READ, [''], ['pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward', 'secrets', 'services/proxy']),
      rule(['impersonate'], [''], ['serviceaccounts']),
      rule(WRITE, [''], ['pods', 'pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward']),
      rule(['create'], [''], ['pods/eviction']),
      rule(
        WRITE,
        [''],
        [
          'replicationcontrollers',
          'replicationcontrollers/scale',
          'serviceaccounts',
          'services',
          'services/proxy',
          'persistentvolumeclaims',
          'configmaps',
          'secrets',
          'events',
        ],
      ),
      rule(['create'], [''], ['serviceaccounts/token']),
      rule(
        WRITE,
        ['apps'],
        [
          'statefulsets',
          'statefulsets/scale',
          'daemonsets',
          'deployments',
          'deployments/scale',
          'deployments/rollback',
          'replicasets',
          'replicasets/scale',
        ],
      ),
      rule(WRITE, ['autoscaling'], ['horizontalpodautoscalers']),
      rule(WRITE, ['batch'], ['jobs', 'cronjobs']),
      rule(
        WRITE,
        ['extensions'],
        [
          'daemonsets',
          'deployments',
          'deployments/scale',
          'deployments/rollback',
          'ingresses',
          'replicasets',
          'replicasets/scale',
          'replicationcontrollers/scale',
          'networkpolicies',
        ],
      ),
      rule(WRITE, ['policy'], ['poddisruptionbudgets']),
      rule(WRITE, ['networking.k8s.io'], ['networkpolicies', 'ingresses']),
    ],
    { [AGGREGATE_TO('edit')]: 'true' },
  ),
  clusterRole(
    'system:aggregate-to-view',
    [
      rule(
        READ,
        [''],
        [
          'pods',
          'replicationcontrollers',
          'replicationcontrollers/scale',
          'serviceaccounts',
          'services',
          'services/status',
          'endpoints',
          'persistentvolumeclaims',
          'persistentvolumeclaims/status',
          'configmaps',
        ],
      ),
      rule(
        READ,
        [''],
        [
          'limitranges',
          'resourcequotas',
          'bindings',
          'events',
          'pods/status',
          'resourcequotas/status',
          'namespaces/status',
          'replicationcontrollers/status',
          'pods/log',
        ],
      ),
      rule(READ, [''], ['namespaces']),
      rule(READ, ['discovery.k8s.io'], ['endpointslices']),
      rule(
        READ,
        ['apps'],
        [
          'controllerrevisions',
          'statefulsets',
          'statefulsets/status',
          'statefulsets/scale',
          'daemonsets',
          'daemonsets/status',
          'deployments',
          'deployments/status',
          'deployments/scale',
          'replicasets',
          'replicasets/status',
          'replicasets/scale',
        ],
      ),
      rule(READ, ['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
      rule(READ, ['batch'], ['jobs', 'cronjobs', 'cronjobs/status', 'jobs/status']),
      rule(
        READ,
        ['extensions'],
        [
          'daemonsets',
          'daemonsets/status',
          'deployments',
          'deployments/scale',
          'deployments/status',
          'ingresses',
          'ingresses/status',
          'replicasets',
          'replicasets/scale',
          'replicasets/status',
          'replicationcontrollers/scale',
          'networkpolicies',
        ],
      ),
      rule(READ, ['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
      rule(READ, ['networking.k8s.io'], ['networkpolicies', 'ingresses', 'ingresses/status']),
    ],
    { [AGGREGATE_TO('view')]: 'true' },
  ),
  ...COMPONENT_CLUSTER_ROLES,
];

function urlsRole(name: string, paths: string[]): ClusterRole {
  return clusterRole(name, [urls(['get'], paths)]);
}

export const BOOTSTRAP_CLUSTER_ROLE_BINDINGS: readonly ClusterRoleBinding[] = [
  binding('cluster-admin', [['Group', 'system:masters']]),
  // Charts hold any kind (CRDs, RBAC), so Helm actions need all of it, as Flux's helm-controller has by default.
  binding('system:skiff:helm-controller', [['User', 'system:skiff:helm-controller']], 'cluster-admin'),
  binding('system:discovery', [['Group', 'system:authenticated']]),
  binding('system:basic-user', [['Group', 'system:authenticated']]),
  binding('system:public-info-viewer', [
    ['Group', 'system:authenticated'],
    ['Group', 'system:unauthenticated'],
  ]),
  binding('system:monitoring', [['Group', 'system:monitoring']]),
  binding('system:service-account-issuer-discovery', [['Group', 'system:serviceaccounts']]),
  ...COMPONENT_CLUSTER_ROLES.map((role) => binding(role.metadata.name!, [['User', role.metadata.name!]])),
];
