import { ApiError, KubeObject } from '@skiff/api-machinery';
import { StorageTransformers, StorageTransformError, StoredBody, storagePath } from '@skiff/api-server';
import { ObjectKey } from './object-key';

/**
 * A stored body read back through its resource's transformer (decrypted when it was encrypted at rest). A value this
 * server cannot read is a 500 in kube-apiserver's words, never plaintext and never a crash.
 */
export function readStoredBody(
  transformers: StorageTransformers,
  key: ObjectKey,
  body: StoredBody,
): { object: KubeObject; stale: boolean } {
  try {
    const { object, stale } = transformers.for(key.group, key.resource).fromStorage(body, key);
    return { object: object as unknown as KubeObject, stale };
  } catch (err) {
    if (err instanceof StorageTransformError)
      throw ApiError.internal(`unable to transform key "${storagePath(key)}": ${err.message}`);
    throw err;
  }
}

/** The body as the store writes it (encrypted for resources the EncryptionConfiguration lists), as a jsonb parameter. */
export function storedBodyParam(transformers: StorageTransformers, key: ObjectKey, object: KubeObject): string {
  const body = transformers.for(key.group, key.resource).toStorage(object as unknown as Record<string, unknown>, key);
  return JSON.stringify(body);
}
