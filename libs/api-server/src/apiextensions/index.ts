export * from './crd.types';
export { acceptedNamesOf, decideNames, type NamesVerdict } from './crd-names';
export { customDefinitionName, customResourcesFrom, type CustomResources } from './custom-resource-types';
export { compareVersionPriority } from './version-priority';
