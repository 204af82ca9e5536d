export { decodeKubernetesProtobuf, KUBERNETES_PROTOBUF } from './kubernetes-protobuf.decoder';
