import { Module } from '@nestjs/common';
import { CONTROLLERS } from '@skiff/controller-runtime';
import { KubeClient } from '@skiff/kube-client';
import { ClusterIpRepairReconciler } from '../cluster-ips/cluster-ip-repair.reconciler';
import { KubeDnsServiceReconciler } from '../dns/kube-dns-service.reconciler';
import { EndpointSliceReconciler } from '../endpoints/endpoint-slice.reconciler';
import { EndpointsReconciler } from '../endpoints/endpoints.reconciler';
import { edgeProviders } from '../edge/edge.providers';
import { EipReconciler } from '../eip/eip.reconciler';
import { IngressReconciler } from '../ingress/ingress.reconciler';
import { LoadBalancerReconciler } from '../slb/load-balancer.reconciler';
import { NetSlbBackendProber, SlbBackendProber } from '../slb/slb-backend-prober';
import { HealthCheckTimer, SlbHealthChecker, SystemHealthCheckTimer } from '../slb/slb-health-checker';
import { NetworkControllerService } from './network-controller.service';

/** network-svc's controllers (Endpoints, EndpointSlices, ClusterIP repair, the kube-dns Service, SLBs, EIPs, Ingress) on the shared controller runtime (docs/controllers.md), leader-elected together. */
@Module({
  providers: [
    // Built here so a missing token file stops boot with the variable's name.
    { provide: KubeClient, useFactory: () => KubeClient.fromEnv('network-svc') },
    EndpointsReconciler,
    EndpointSliceReconciler,
    ClusterIpRepairReconciler,
    KubeDnsServiceReconciler,
    ...edgeProviders,
    { provide: SlbBackendProber, useClass: NetSlbBackendProber },
    { provide: HealthCheckTimer, useClass: SystemHealthCheckTimer },
    SlbHealthChecker,
    LoadBalancerReconciler,
    EipReconciler,
    IngressReconciler,
    // Each controller is a provider and listed in CONTROLLERS' inject.
    {
      provide: CONTROLLERS,
      useFactory: (...controllers: unknown[]) => controllers,
      inject: [
        EndpointsReconciler,
        EndpointSliceReconciler,
        ClusterIpRepairReconciler,
        KubeDnsServiceReconciler,
        LoadBalancerReconciler,
        EipReconciler,
        IngressReconciler,
      ],
    },
    NetworkControllerService,
  ],
  // The cluster DNS (DnsModule) reads through the same client.
  exports: [KubeClient],
})
export class NetworkControllersModule {}
