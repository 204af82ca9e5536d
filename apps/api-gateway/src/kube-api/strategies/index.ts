import { CRD_GROUP, CRD_RESOURCE, ResourceType } from '@skiff/api-server';
import { CustomResourceDefinitionStrategy, CustomResourceStrategy } from './custom-resource.strategies';
import { NamespaceStrategy } from './namespace.strategy';
import { PodStrategy } from './pod.strategy';
import { ResourceStrategy } from './resource-strategy';
import { JobStrategy, PodDisruptionBudgetStrategy, ReplicationControllerStrategy } from './workload.strategies';

export { ResourceStrategy } from './resource-strategy';

type StrategyClass = new (type: ResourceType) => ResourceStrategy;

// The built-ins whose strategy is not the default one, by group/resource.
const BUILT_IN: Record<string, StrategyClass> = {
  '/pods': PodStrategy,
  '/namespaces': NamespaceStrategy,
  '/replicationcontrollers': ReplicationControllerStrategy,
  'batch/jobs': JobStrategy,
  'policy/poddisruptionbudgets': PodDisruptionBudgetStrategy,
  [`${CRD_GROUP}/${CRD_RESOURCE}`]: CustomResourceDefinitionStrategy,
};

/** The strategy a resource is written and deleted by. */
export function strategyFor(type: ResourceType): ResourceStrategy {
  const cls = type.custom ? CustomResourceStrategy : (BUILT_IN[`${type.group}/${type.resource}`] ?? ResourceStrategy);
  return new cls(type);
}
