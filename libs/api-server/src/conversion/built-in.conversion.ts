// Built-in kinds served in more than one version over one stored object (ResourceType.storageVersion).
import type { KubeObject } from '@skiff/api-machinery';
import type { ResourceType } from '../resources/resource-types';
import { horizontalPodAutoscalerToV1, horizontalPodAutoscalerToV2 } from './horizontal-pod-autoscaler.conversion';

type Converter = (obj: KubeObject) => KubeObject;

// group/Kind → target version → converter from any other served version.
const CONVERTERS: Readonly<Record<string, Readonly<Record<string, Converter>>>> = {
  'autoscaling/HorizontalPodAutoscaler': { v1: horizontalPodAutoscalerToV1, v2: horizontalPodAutoscalerToV2 },
};

/** `obj` in `version` of its kind; unchanged when it already is, names no version, or the kind has one version. */
export function convertBuiltIn(
  type: Pick<ResourceType, 'group' | 'kind'>,
  obj: KubeObject,
  version: string,
): KubeObject {
  const apiVersion = type.group ? `${type.group}/${version}` : version;
  if (obj.apiVersion === undefined || obj.apiVersion === apiVersion) return obj;
  const convert = CONVERTERS[`${type.group}/${type.kind}`]?.[version];
  return convert ? convert(obj) : { ...obj, apiVersion };
}
