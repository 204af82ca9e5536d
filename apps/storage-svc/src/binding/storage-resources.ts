import { KindRef } from '@skiff/controller-runtime';

// Refs the storage controllers need beyond libs/controller-runtime's (to move there with the app's wiring).

export const PERSISTENT_VOLUMES: KindRef = {
  group: '',
  version: 'v1',
  resource: 'persistentvolumes',
  namespaced: false,
  kind: 'PersistentVolume',
  apiVersion: 'v1',
};

export const STORAGE_CLASSES: KindRef = {
  group: 'storage.k8s.io',
  version: 'v1',
  resource: 'storageclasses',
  namespaced: false,
  kind: 'StorageClass',
  apiVersion: 'storage.k8s.io/v1',
};
