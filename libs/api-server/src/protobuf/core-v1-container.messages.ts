import {
  bool,
  i32,
  i64,
  inline,
  intOrString,
  list,
  mapOf,
  MessageDef,
  msg,
  ptr,
  quantity,
  req,
  str,
} from './message-def';

// k8s.io/api/core/v1/generated.proto: Container and what it references.

export const LocalObjectReference: MessageDef = {
  1: ['name', str],
};

export const ObjectFieldSelector: MessageDef = {
  1: ['apiVersion', str],
  2: ['fieldPath', req(str)],
};

export const ResourceFieldSelector: MessageDef = {
  1: ['containerName', str],
  2: ['resource', req(str)],
  3: ['divisor', quantity],
};

export const ConfigMapKeySelector: MessageDef = {
  1: inline(LocalObjectReference),
  2: ['key', req(str)],
  3: ['optional', ptr(bool)],
};

export const SecretKeySelector: MessageDef = {
  1: inline(LocalObjectReference),
  2: ['key', req(str)],
  3: ['optional', ptr(bool)],
};

export const FileKeySelector: MessageDef = {
  1: ['volumeName', req(str)],
  2: ['path', req(str)],
  3: ['key', req(str)],
  4: ['optional', ptr(bool)],
};

export const EnvVarSource: MessageDef = {
  1: ['fieldRef', msg(ObjectFieldSelector)],
  2: ['resourceFieldRef', msg(ResourceFieldSelector)],
  3: ['configMapKeyRef', msg(ConfigMapKeySelector)],
  4: ['secretKeyRef', msg(SecretKeySelector)],
  5: ['fileKeyRef', msg(FileKeySelector)],
};

export const EnvVar: MessageDef = {
  1: ['name', req(str)],
  2: ['value', str],
  3: ['valueFrom', msg(EnvVarSource)],
};

export const ConfigMapEnvSource: MessageDef = {
  1: inline(LocalObjectReference),
  2: ['optional', ptr(bool)],
};

export const SecretEnvSource: MessageDef = {
  1: inline(LocalObjectReference),
  2: ['optional', ptr(bool)],
};

export const EnvFromSource: MessageDef = {
  1: ['prefix', str],
  2: ['configMapRef', msg(ConfigMapEnvSource)],
  3: ['secretRef', msg(SecretEnvSource)],
};

export const ContainerPort: MessageDef = {
  1: ['name', str],
  2: ['hostPort', i32],
  3: ['containerPort', req(i32)],
  4: ['protocol', str],
  5: ['hostIP', str],
};

export const ResourceClaim: MessageDef = {
  1: ['name', req(str)],
  2: ['request', str],
};

export const ResourceRequirements: MessageDef = {
  1: ['limits', mapOf(quantity)],
  2: ['requests', mapOf(quantity)],
  3: ['claims', list(msg(ResourceClaim))],
};

export const ContainerResizePolicy: MessageDef = {
  1: ['resourceName', req(str)],
  2: ['restartPolicy', req(str)],
};

export const ContainerRestartRuleOnExitCodes: MessageDef = {
  1: ['operator', str],
  2: ['values', list(i32)],
};

export const ContainerRestartRule: MessageDef = {
  1: ['action', str],
  2: ['exitCodes', msg(ContainerRestartRuleOnExitCodes)],
};

export const VolumeMount: MessageDef = {
  1: ['name', req(str)],
  2: ['readOnly', bool],
  7: ['recursiveReadOnly', ptr(str)],
  3: ['mountPath', req(str)],
  4: ['subPath', str],
  5: ['mountPropagation', ptr(str)],
  6: ['subPathExpr', str],
};

export const VolumeDevice: MessageDef = {
  1: ['name', req(str)],
  2: ['devicePath', req(str)],
};

export const ExecAction: MessageDef = {
  1: ['command', list(str)],
};

export const HTTPHeader: MessageDef = {
  1: ['name', req(str)],
  2: ['value', req(str)],
};

export const HTTPGetAction: MessageDef = {
  1: ['path', str],
  2: ['port', intOrString],
  3: ['host', str],
  4: ['scheme', str],
  5: ['httpHeaders', list(msg(HTTPHeader))],
};

export const TCPSocketAction: MessageDef = {
  1: ['port', intOrString],
  2: ['host', str],
};

export const GRPCAction: MessageDef = {
  1: ['port', req(i32)],
  2: ['service', ptr(str)],
};

export const SleepAction: MessageDef = {
  1: ['seconds', req(i64)],
};

export const ProbeHandler: MessageDef = {
  1: ['exec', msg(ExecAction)],
  2: ['httpGet', msg(HTTPGetAction)],
  3: ['tcpSocket', msg(TCPSocketAction)],
  4: ['grpc', msg(GRPCAction)],
};

export const Probe: MessageDef = {
  1: inline(ProbeHandler),
  2: ['initialDelaySeconds', i32],
  3: ['timeoutSeconds', i32],
  4: ['periodSeconds', i32],
  5: ['successThreshold', i32],
  6: ['failureThreshold', i32],
  7: ['terminationGracePeriodSeconds', ptr(i64)],
};

export const LifecycleHandler: MessageDef = {
  1: ['exec', msg(ExecAction)],
  2: ['httpGet', msg(HTTPGetAction)],
  3: ['tcpSocket', msg(TCPSocketAction)],
  4: ['sleep', msg(SleepAction)],
};

export const Lifecycle: MessageDef = {
  1: ['postStart', msg(LifecycleHandler)],
  2: ['preStop', msg(LifecycleHandler)],
  3: ['stopSignal', ptr(str)],
};

export const Capabilities: MessageDef = {
  1: ['add', list(str)],
  2: ['drop', list(str)],
};

export const SELinuxOptions: MessageDef = {
  1: ['user', str],
  2: ['role', str],
  3: ['type', str],
  4: ['level', str],
};

export const WindowsSecurityContextOptions: MessageDef = {
  1: ['gmsaCredentialSpecName', ptr(str)],
  2: ['gmsaCredentialSpec', ptr(str)],
  3: ['runAsUserName', ptr(str)],
  4: ['hostProcess', ptr(bool)],
};

export const SeccompProfile: MessageDef = {
  1: ['type', req(str)],
  2: ['localhostProfile', ptr(str)],
};

export const AppArmorProfile: MessageDef = {
  1: ['type', req(str)],
  2: ['localhostProfile', ptr(str)],
};

export const SecurityContext: MessageDef = {
  1: ['capabilities', msg(Capabilities)],
  2: ['privileged', ptr(bool)],
  3: ['seLinuxOptions', msg(SELinuxOptions)],
  10: ['windowsOptions', msg(WindowsSecurityContextOptions)],
  4: ['runAsUser', ptr(i64)],
  8: ['runAsGroup', ptr(i64)],
  5: ['runAsNonRoot', ptr(bool)],
  6: ['readOnlyRootFilesystem', ptr(bool)],
  7: ['allowPrivilegeEscalation', ptr(bool)],
  9: ['procMount', ptr(str)],
  11: ['seccompProfile', msg(SeccompProfile)],
  12: ['appArmorProfile', msg(AppArmorProfile)],
};

export const Container: MessageDef = {
  1: ['name', req(str)],
  2: ['image', str],
  3: ['command', list(str)],
  4: ['args', list(str)],
  5: ['workingDir', str],
  6: ['ports', list(msg(ContainerPort))],
  19: ['envFrom', list(msg(EnvFromSource))],
  7: ['env', list(msg(EnvVar))],
  8: ['resources', msg(ResourceRequirements)],
  23: ['resizePolicy', list(msg(ContainerResizePolicy))],
  24: ['restartPolicy', ptr(str)],
  25: ['restartPolicyRules', list(msg(ContainerRestartRule))],
  9: ['volumeMounts', list(msg(VolumeMount))],
  21: ['volumeDevices', list(msg(VolumeDevice))],
  10: ['livenessProbe', msg(Probe)],
  11: ['readinessProbe', msg(Probe)],
  22: ['startupProbe', msg(Probe)],
  12: ['lifecycle', msg(Lifecycle)],
  13: ['terminationMessagePath', str],
  20: ['terminationMessagePolicy', str],
  14: ['imagePullPolicy', str],
  15: ['securityContext', msg(SecurityContext)],
  16: ['stdin', bool],
  17: ['stdinOnce', bool],
  18: ['tty', bool],
};
