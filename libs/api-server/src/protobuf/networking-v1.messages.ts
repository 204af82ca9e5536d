import { TypedLocalObjectReference } from './core-v1-volume.messages';
import { i32, inline, list, MessageDef, msg, ptr, req, str } from './message-def';
import { ObjectMeta } from './meta-v1.messages';

// k8s.io/api/networking/v1/generated.proto: Ingress and IngressClass.

export const ServiceBackendPort: MessageDef = {
  1: ['name', str],
  2: ['number', i32],
};

export const IngressServiceBackend: MessageDef = {
  1: ['name', req(str)],
  2: ['port', msg(ServiceBackendPort)],
};

export const IngressBackend: MessageDef = {
  4: ['service', msg(IngressServiceBackend)],
  3: ['resource', msg(TypedLocalObjectReference)],
};

export const HTTPIngressPath: MessageDef = {
  1: ['path', str],
  3: ['pathType', ptr(str)],
  2: ['backend', msg(IngressBackend)],
};

export const HTTPIngressRuleValue: MessageDef = {
  1: ['paths', list(msg(HTTPIngressPath))],
};

export const IngressRuleValue: MessageDef = {
  1: ['http', msg(HTTPIngressRuleValue)],
};

export const IngressRule: MessageDef = {
  1: ['host', str],
  2: inline(IngressRuleValue),
};

export const IngressTLS: MessageDef = {
  1: ['hosts', list(str)],
  2: ['secretName', str],
};

export const IngressSpec: MessageDef = {
  4: ['ingressClassName', ptr(str)],
  1: ['defaultBackend', msg(IngressBackend)],
  2: ['tls', list(msg(IngressTLS))],
  3: ['rules', list(msg(IngressRule))],
};

export const IngressPortStatus: MessageDef = {
  1: ['port', req(i32)],
  2: ['protocol', req(str)],
  3: ['error', ptr(str)],
};

export const IngressLoadBalancerIngress: MessageDef = {
  1: ['ip', str],
  2: ['hostname', str],
  4: ['ports', list(msg(IngressPortStatus))],
};

export const IngressLoadBalancerStatus: MessageDef = {
  1: ['ingress', list(msg(IngressLoadBalancerIngress))],
};

export const IngressStatus: MessageDef = {
  1: ['loadBalancer', msg(IngressLoadBalancerStatus)],
};

export const Ingress: MessageDef = {
  1: ['metadata', msg(ObjectMeta)],
  2: ['spec', msg(IngressSpec)],
  3: ['status', msg(IngressStatus)],
};

export const IngressClassParametersReference: MessageDef = {
  1: ['apiGroup', ptr(str)],
  2: ['kind', req(str)],
  3: ['name', req(str)],
  4: ['scope', ptr(str)],
  5: ['namespace', ptr(str)],
};

export const IngressClassSpec: MessageDef = {
  1: ['controller', str],
  2: ['parameters', msg(IngressClassParametersReference)],
};

export const IngressClass: MessageDef = {
  1: ['metadata', msg(ObjectMeta)],
  2: ['spec', msg(IngressClassSpec)],
};

export const NETWORKING_V1_KINDS: Readonly<Record<string, MessageDef>> = {
  Ingress,
  IngressClass,
};
