import { Injectable } from '@nestjs/common';
import { CRD_GROUP, CRD_RESOURCE, ResourceType } from '@skiff/api-server';
import { ClusterIps } from '../../services/cluster-ip.client';
import { CustomResourceDefinitionStrategy, CustomResourceStrategy } from './custom-resource.strategies';
import { NamespaceStrategy } from './namespace.strategy';
import { PodStrategy } from './pod.strategy';
import { ResourceStrategy } from './resource-strategy';
import { ServiceStrategy } from './service.strategy';
import { JobStrategy, PodDisruptionBudgetStrategy, ReplicationControllerStrategy } from './workload.strategies';

export { ResourceStrategy, UpdateNeedsPreparation } from './resource-strategy';

type StrategyClass = new (type: ResourceType) => ResourceStrategy;

// The built-ins whose strategy is not the default one and needs nothing else, by group/resource.
const BUILT_IN: Record<string, StrategyClass> = {
  '/pods': PodStrategy,
  '/namespaces': NamespaceStrategy,
  '/replicationcontrollers': ReplicationControllerStrategy,
  'batch/jobs': JobStrategy,
  'policy/poddisruptionbudgets': PodDisruptionBudgetStrategy,
  [`${CRD_GROUP}/${CRD_RESOURCE}`]: CustomResourceDefinitionStrategy,
};

/** The strategy each resource is written and deleted by. */
@Injectable()
export class ResourceStrategies {
  constructor(private readonly clusterIps: ClusterIps) {}

  for(type: ResourceType): ResourceStrategy {
    if (type.custom) return new CustomResourceStrategy(type);
    if (type.group === '' && type.resource === 'services') return new ServiceStrategy(type, this.clusterIps);
    return new (BUILT_IN[`${type.group}/${type.resource}`] ?? ResourceStrategy)(type);
  }
}
