import { CUSTOM_RESOURCE_CLEANUP_FINALIZER } from '@skiff/api-server';
import { ResourceStrategy } from './resource-strategy';

/** Custom resources: no unconditional PUT, no strategic merge, status checked against the schema. */
export class CustomResourceStrategy extends ResourceStrategy {
  override readonly allowUnconditionalUpdate = false;
  override readonly strategicMergePatch = false;
  override readonly validateStatusUpdate = true;
}

/** A CRD goes once its objects are gone (CustomResourceDefinitionLifecycleService removes them). */
export class CustomResourceDefinitionStrategy extends ResourceStrategy {
  override finalizersOnDelete(finalizers: string[], policy: string | undefined): string[] {
    const out = super.finalizersOnDelete(finalizers, policy);
    return out.includes(CUSTOM_RESOURCE_CLEANUP_FINALIZER) ? out : [...out, CUSTOM_RESOURCE_CLEANUP_FINALIZER];
  }
}
