// Label and annotation names Skiff writes or reads, in one place.

/** On every pod the scheduler binds: the sandbox host that runs it. */
export const SANDBOX_HOST_ANNOTATION = 'skiff.io/sandbox-host';
/** On objects Skiff keeps in the API itself (e.g. the runc/gvisor RuntimeClasses). */
export const MANAGED_LABEL = 'skiff.io/managed';

// ASK / ECI conventions users' manifests rely on (see docs and the ASK notes).
export const ECI_USE_SPECS_ANNOTATION = 'k8s.aliyun.com/eci-use-specs';
export const ECI_INSTANCE_ID_ANNOTATION = 'k8s.aliyun.com/eci-instance-id';
export const ECI_INSTANCE_SPEC_ANNOTATION = 'k8s.aliyun.com/eci-instance-spec';
export const ECI_CUSTOM_DNS_CONFIG_ANNOTATION = 'k8s.aliyun.com/eci-custom-dnsconfig';

// Upstream's discovery labels: the Service an EndpointSlice belongs to, and the controller that keeps it.
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const ENDPOINTSLICE_MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';

/** ECI pods' elastic IPs: ask for one, bind an existing one, its bandwidth (Mbit/s); and what the platform wrote back. */
export const ECI_WITH_EIP_ANNOTATION = 'k8s.aliyun.com/eci-with-eip';
export const ECI_EIP_INSTANCE_ID_ANNOTATION = 'k8s.aliyun.com/eci-eip-instanceid';
export const EIP_BANDWIDTH_ANNOTATION = 'k8s.aliyun.com/eip-bandwidth';
export const ALLOCATED_EIP_ADDRESS_ANNOTATION = 'k8s.aliyun.com/allocated-eipAddress';
export const ALLOCATED_EIP_INSTANCE_ID_ANNOTATION = 'k8s.aliyun.com/allocated-eipInstanceId';
