// rbac.authorization.k8s.io/v1 (printRoleBinding, printClusterRoleBinding; roles print NAME and CREATED AT).
import { KubeObject } from '@skiff/api-machinery';
import { AGE_COLUMN, AGE_DESCRIPTION, ageOf, column, NAME_COLUMN, nameOf } from './columns';
import { ResourcePrinter } from './table.types';
import { list, str } from './unstructured';

export const rolePrinter: ResourcePrinter = {
  columns: [NAME_COLUMN, column('Created At', 'date', AGE_DESCRIPTION)],
  cells: (role) => [nameOf(role), role.metadata?.creationTimestamp ?? null],
};

// SubjectsStrings: users, groups and service accounts (namespace/name), each comma-joined.
function subjectCells(binding: KubeObject): [string, string, string] {
  const users: string[] = [];
  const groups: string[] = [];
  const serviceAccounts: string[] = [];
  for (const s of list(binding, 'subjects')) {
    const name = str(s, 'name');
    if (str(s, 'kind') === 'User') users.push(name);
    else if (str(s, 'kind') === 'Group') groups.push(name);
    else if (str(s, 'kind') === 'ServiceAccount')
      serviceAccounts.push(str(s, 'namespace') ? `${str(s, 'namespace')}/${name}` : name);
  }
  return [users.join(', '), groups.join(', '), serviceAccounts.join(', ')];
}

function bindingPrinter(of: 'roleBinding' | 'clusterRoleBinding'): ResourcePrinter {
  return {
    columns: [
      NAME_COLUMN,
      column(
        'Role',
        'string',
        'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error.',
      ),
      AGE_COLUMN,
      column('Users', 'string', `Users in the ${of}`, 1),
      column('Groups', 'string', `Groups in the ${of}`, 1),
      column('ServiceAccounts', 'string', `ServiceAccounts in the ${of}`, 1),
    ],
    cells: (b, { now }) => [
      nameOf(b),
      `${str(b, 'roleRef', 'kind')}/${str(b, 'roleRef', 'name')}`,
      ageOf(b, now),
      ...subjectCells(b),
    ],
  };
}

export const roleBindingPrinter = bindingPrinter('roleBinding');
export const clusterRoleBindingPrinter = bindingPrinter('clusterRoleBinding');
