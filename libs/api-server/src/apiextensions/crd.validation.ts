// Validation of CustomResourceDefinitions themselves (apiextensions-apiserver's
// ValidateCustomResourceDefinition, the parts Skiff serves), with upstream's field paths.
import type { KubeObject, StatusCause } from '@skiff/api-machinery';
import { isRecord } from '../schema/raw-schema';
import { compileJsonPath } from '../table/json-path';
import {
  child,
  duplicate,
  forbidden,
  immutable,
  index,
  invalid,
  notSupported,
  required,
} from '../validation/field-errors';
import { dns1035LabelErrors, dns1123SubdomainErrors } from '@skiff/api-machinery';
import { validateCrdSchema } from './crd-schema.validation';
import { crdSpecOf, CrdVersion } from './crd.types';
import { errorMessage } from '@skiff/api-machinery';

const SCOPES = ['Cluster', 'Namespaced'];
const COLUMN_TYPES = ['integer', 'number', 'string', 'boolean', 'date'];
const APPROVAL = 'api-approved.kubernetes.io';

export function validateCrd(crd: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  const raw = isRecord(crd.spec) ? crd.spec : {};
  const spec = crdSpecOf(crd);
  const expected = `${spec.names.plural}.${spec.group}`;
  if (crd.metadata.name && crd.metadata.name !== expected) {
    out.push(invalid('metadata.name', crd.metadata.name, 'must be spec.names.plural+"."+spec.group'));
  }
  if (!spec.group) out.push(required('spec.group', ''));
  else {
    for (const m of dns1123SubdomainErrors(spec.group)) out.push(invalid('spec.group', spec.group, m));
    if (!spec.group.includes('.'))
      out.push(invalid('spec.group', spec.group, 'should be a domain with at least one dot'));
    const protectedGroup = /(^|\.)(k8s\.io|kubernetes\.io)$/.test(spec.group);
    if (protectedGroup && !crd.metadata.annotations?.[APPROVAL]) {
      out.push(
        required(
          `metadata.annotations[${APPROVAL}]`,
          `protected groups must have approval annotation "${APPROVAL}", see https://github.com/kubernetes/enhancements/pull/1111`,
        ),
      );
    }
  }
  if (!raw.scope) out.push(required('spec.scope', ''));
  else if (!SCOPES.includes(spec.scope)) out.push(notSupported('spec.scope', spec.scope, SCOPES));
  out.push(...validateNames(isRecord(raw.names) ? raw.names : {}));
  out.push(...validateVersions(spec.versions));
  if (spec.conversion?.strategy !== undefined && spec.conversion.strategy !== 'None') {
    out.push(notSupported('spec.conversion.strategy', spec.conversion.strategy, ['None']));
  }
  if (spec.preserveUnknownFields === true) {
    out.push(
      invalid(
        'spec.preserveUnknownFields',
        true,
        'cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead',
      ),
    );
  }
  return out;
}

export function validateCrdUpdate(crd: KubeObject, old: KubeObject): StatusCause[] {
  const out = validateCrd(crd);
  const spec = crdSpecOf(crd);
  const before = crdSpecOf(old);
  if (spec.group !== before.group) out.push(immutable('spec.group', spec.group));
  if (spec.scope !== before.scope) out.push(immutable('spec.scope', spec.scope));
  if (spec.names.plural !== before.names.plural) out.push(immutable('spec.names.plural', spec.names.plural));
  const stored =
    isRecord(crd.status) && Array.isArray(crd.status.storedVersions) ? (crd.status.storedVersions as string[]) : [];
  stored.forEach((v, i) => {
    if (!spec.versions.some((x) => x.name === v))
      out.push(invalid(`status.storedVersions[${i}]`, v, 'must appear in spec.versions'));
  });
  return out;
}

function validateNames(names: Record<string, unknown>): StatusCause[] {
  const out: StatusCause[] = [];
  const label = (path: string, v: unknown, lower = false): void => {
    if (typeof v !== 'string' || v === '') return void out.push(required(path, ''));
    for (const m of dns1035LabelErrors(lower ? v.toLowerCase() : v)) out.push(invalid(path, v, m));
  };
  label('spec.names.plural', names.plural);
  if (names.singular) label('spec.names.singular', names.singular);
  label('spec.names.kind', names.kind, true);
  if (names.listKind) label('spec.names.listKind', names.listKind, true);
  if (names.listKind && names.listKind === names.kind)
    out.push(invalid('spec.names.listKind', names.listKind, 'kind and listKind cannot be the same'));
  (Array.isArray(names.shortNames) ? names.shortNames : []).forEach((s, i) =>
    label(index('spec.names.shortNames', i), s),
  );
  (Array.isArray(names.categories) ? names.categories : []).forEach((c, i) =>
    label(index('spec.names.categories', i), c),
  );
  return out;
}

function validateVersions(versions: CrdVersion[]): StatusCause[] {
  const out: StatusCause[] = [];
  if (versions.length === 0)
    return [required('spec.versions', 'must have exactly one version marked as storage version')];
  const names = versions.map((v) => v.name);
  if (versions.filter((v) => v.storage === true).length !== 1)
    out.push(invalid('spec.versions', names, 'must have exactly one version marked as storage version'));
  if (!versions.some((v) => v.served === true))
    out.push(invalid('spec.versions', names, 'must have at least one version marked as served'));
  versions.forEach((v, i) => {
    const path = index('spec.versions', i);
    if (!v.name) out.push(required(child(path, 'name'), ''));
    else {
      for (const m of dns1035LabelErrors(v.name)) out.push(invalid(child(path, 'name'), v.name, m));
      if (names.indexOf(v.name) < i) out.push(duplicate(child(path, 'name'), v.name));
    }
    const schema = v.schema?.openAPIV3Schema;
    if (!isRecord(schema)) out.push(required(child(path, 'schema.openAPIV3Schema'), 'schemas are required'));
    else out.push(...validateCrdSchema(schema, child(path, 'schema.openAPIV3Schema')));
    const scale = v.subresources?.scale;
    if (scale) {
      const sp = child(path, 'subresources.scale');
      if (!scale.specReplicasPath) out.push(required(child(sp, 'specReplicasPath'), ''));
      else if (!scale.specReplicasPath.startsWith('.spec.'))
        out.push(invalid(child(sp, 'specReplicasPath'), scale.specReplicasPath, 'should be a json path under .spec'));
      if (!scale.statusReplicasPath) out.push(required(child(sp, 'statusReplicasPath'), ''));
      else if (!scale.statusReplicasPath.startsWith('.status.'))
        out.push(
          invalid(child(sp, 'statusReplicasPath'), scale.statusReplicasPath, 'should be a json path under .status'),
        );
      const sel = scale.labelSelectorPath;
      if (sel && !sel.startsWith('.spec.') && !sel.startsWith('.status.'))
        out.push(invalid(child(sp, 'labelSelectorPath'), sel, 'should be a json path under either .spec or .status'));
    }
    (v.additionalPrinterColumns ?? []).forEach((c, j) => {
      const cp = index(child(path, 'additionalPrinterColumns'), j);
      if (!c.name) out.push(required(child(cp, 'name'), ''));
      if (!COLUMN_TYPES.includes(c.type)) out.push(notSupported(child(cp, 'type'), c.type, COLUMN_TYPES));
      if (!c.jsonPath) out.push(required(child(cp, 'jsonPath'), ''));
      else {
        try {
          compileJsonPath(c.jsonPath);
        } catch (err) {
          out.push(invalid(child(cp, 'jsonPath'), c.jsonPath, `must be a simple json path: ${errorMessage(err)}`));
        }
      }
      if (c.priority !== undefined && c.priority < 0)
        out.push(forbidden(child(cp, 'priority'), 'must be non-negative'));
    });
  });
  return out;
}

/** Upstream's v1 defaults: conversion None, singular and listKind from the kind. */
export function defaultCrd(crd: Record<string, unknown>): void {
  const spec = isRecord(crd.spec) ? crd.spec : undefined;
  if (!spec) return;
  spec.conversion ??= { strategy: 'None' };
  const names = isRecord(spec.names) ? spec.names : undefined;
  if (names && typeof names.kind === 'string' && names.kind !== '') {
    names.singular ??= names.kind.toLowerCase();
    names.listKind ??= `${names.kind}List`;
  }
}
