// HorizontalPodAutoscalers: REFERENCE and the TARGETS summary (`cpu: 40%/80%`).
import { convertBuiltIn } from '../conversion/built-in.conversion';
import { KubeObject } from '@skiff/api-machinery';
import { AGE_COLUMN, ageOf, column, NAME_COLUMN, nameOf } from './columns';
import { ResourcePrinter } from './table.types';
import { at, Json, list, num, optNum, quantity, record, str } from './unstructured';

const MAX_SHOWN_METRICS = 2;

// resource.Quantity.String() of a nil pointer is "<nil>"; upstream prints it as is.
function q(obj: Json, ...path: string[]): string {
  return quantity(obj, ...path) ?? '<nil>';
}

function percent(obj: Json, ...path: string[]): string | undefined {
  const v = optNum(obj, ...path);
  return v === undefined ? undefined : `${v}%`;
}

function valueOrAverage(spec: Json, status: Json | undefined): string {
  if (at(spec, 'target', 'averageValue') !== undefined) {
    const current =
      status !== undefined && at(status, 'current', 'averageValue') !== undefined
        ? q(status, 'current', 'averageValue')
        : '<unknown>';
    return `${current}/${q(spec, 'target', 'averageValue')} (avg)`;
  }
  const current = status !== undefined ? q(status, 'current', 'value') : '<unknown>';
  return `${current}/${q(spec, 'target', 'value')}`;
}

function resourceMetric(spec: Json, status: Json | undefined): string {
  const name = str(spec, 'name');
  if (at(spec, 'target', 'averageValue') !== undefined) {
    const current = status !== undefined ? q(status, 'current', 'averageValue') : '<unknown>';
    return `${name}: ${current}/${q(spec, 'target', 'averageValue')}`;
  }
  const current = (status !== undefined ? percent(status, 'current', 'averageUtilization') : undefined) ?? '<unknown>';
  return `${name}: ${current}/${percent(spec, 'target', 'averageUtilization') ?? '<auto>'}`;
}

// formatHPAMetrics: statuses are matched to specs by position, as upstream.
function formatMetrics(hpa: KubeObject): string {
  const specs = list(hpa, 'spec', 'metrics');
  if (specs.length === 0) return '<none>';
  const statuses = list(hpa, 'status', 'currentMetrics');
  const shown = specs.map((spec, i) => {
    const status = (key: string): Json | undefined => record(statuses[i], key);
    switch (str(spec, 'type')) {
      case 'External':
        return valueOrAverage(record(spec, 'external'), status('external'));
      case 'Pods': {
        const st = status('pods');
        const current = st !== undefined ? q(st, 'current', 'averageValue') : '<unknown>';
        return `${current}/${q(spec, 'pods', 'target', 'averageValue')}`;
      }
      case 'Object':
        return valueOrAverage(record(spec, 'object'), status('object'));
      case 'Resource':
        return resourceMetric(record(spec, 'resource'), status('resource'));
      case 'ContainerResource':
        return resourceMetric(record(spec, 'containerResource'), status('containerResource'));
      default:
        return '<unknown type>';
    }
  });
  if (shown.length <= MAX_SHOWN_METRICS) return shown.join(', ');
  return `${shown.slice(0, MAX_SHOWN_METRICS).join(', ')} + ${shown.length - MAX_SHOWN_METRICS} more...`;
}

export const horizontalPodAutoscalerPrinter: ResourcePrinter = {
  columns: [
    NAME_COLUMN,
    column(
      'Reference',
      'string',
      'reference to scaled resource; horizontal pod autoscaler will learn the current resource consumption and will set the desired number of pods by using its Scale subresource.',
    ),
    column(
      'Targets',
      'string',
      'metrics contains the specifications for which to use to calculate the desired replica count.',
    ),
    column(
      'MinPods',
      'string',
      'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.',
    ),
    column(
      'MaxPods',
      'string',
      'maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up.',
    ),
    column(
      'Replicas',
      'string',
      'currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler.',
    ),
    AGE_COLUMN,
  ],
  // autoscaling/v1 objects print from their v2 form, as upstream prints the internal version.
  cells: (served, { now }) => {
    const hpa = convertBuiltIn({ group: 'autoscaling', kind: 'HorizontalPodAutoscaler' }, served, 'v2');
    const min = optNum(hpa, 'spec', 'minReplicas');
    return [
      nameOf(hpa),
      `${str(hpa, 'spec', 'scaleTargetRef', 'kind')}/${str(hpa, 'spec', 'scaleTargetRef', 'name')}`,
      formatMetrics(hpa),
      min === undefined ? '<unset>' : String(min),
      num(hpa, 'spec', 'maxReplicas'),
      num(hpa, 'status', 'currentReplicas'),
      ageOf(hpa, now),
    ];
  },
};
