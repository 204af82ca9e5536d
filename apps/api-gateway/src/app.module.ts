import { DynamicModule, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { Clock } from '@skiff/api-machinery';
import { ResourceRegistry } from '@skiff/api-server';
import { ApiGatewayConfig } from '@skiff/config';
import { CustomResourceDefinitionLifecycleService } from './apiextensions/crd-lifecycle.service';
import { CustomResourceRegistryService } from './apiextensions/custom-resource-registry.service';
import { auditBackendProvider } from './audit/audit-backend.provider';
import { AuditMiddleware } from './audit/audit.middleware';
import { AuditService } from './audit/audit.service';
import { AdminTokenService } from './auth/admin-token.service';
import { AuthenticationMiddleware } from './auth/authentication.middleware';
import { AuthenticatorService } from './auth/authenticator.service';
import { IssuerDiscoveryController } from './auth/issuer-discovery.controller';
import { ServiceAccountAdmissionService } from './auth/service-account-admission.service';
import { serviceAccountKeyProvider, ServiceAccountTokenService } from './auth/service-account-token.service';
import { SelfSubjectReviewService } from './auth/self-subject-review.service';
import { TokenReviewService } from './auth/token-review.service';
import { AccessReviewService } from './authorization/access-review.service';
import { AuthorizationMiddleware } from './authorization/authorization.middleware';
import { AuthorizationService } from './authorization/authorization.service';
import { RbacBootstrapService } from './authorization/rbac-bootstrap.service';
import { RbacEscalationCheck } from './authorization/rbac-escalation.check';
import { RbacPolicyCache } from './authorization/rbac-policy.cache';
import { NodeAuthorizer } from './authorization/node-authorizer';
import { NodeGraph } from './authorization/node-graph';
import { DiscoveryService } from './discovery/discovery.service';
import { HealthController } from './health/health.controller';
import { AdmissionService } from './kube-api/admission.service';
import { DeletionService } from './kube-api/deletion.service';
import { KubeApiController } from './kube-api/kube-api.controller';
import { KubeApiService } from './kube-api/kube-api.service';
import { NamespaceLifecycleService } from './kube-api/namespace-lifecycle.service';
import { PodBindingService } from './kube-api/pod-binding.service';
import { ResourceStrategies } from './kube-api/strategies';
import { ClusterIps, NatsClusterIps } from './services/cluster-ip.client';
import { MasterServiceService } from './services/master-service.service';
import { PodEvictionService } from './kube-api/pod-eviction.service';
import { ResourceReaderService } from './kube-api/resource-reader.service';
import { ResourceWriterService } from './kube-api/resource-writer.service';
import { WatchService } from './kube-api/watch.service';
import { MetricsController } from './observability/metrics.controller';
import { MetricsService } from './observability/metrics.service';
import { OpenApiController } from './openapi/openapi.controller';
import { configProvider } from './platform/config.provider';
import { databaseProvider } from './platform/database.provider';
import { natsProvider } from './platform/nats.provider';
import { redisProvider } from './platform/redis.provider';
import { AgentDirectoryService } from './pod-streams/agent-directory.service';
import { LogSvcClient } from './pod-streams/log-svc.client';
import { ContainerLogsService } from './pod-streams/container-logs.service';
import { PodUpgradeProxy } from './pod-streams/pod-upgrade.proxy';
import { ResourceMetricsService } from './resource-metrics/resource-metrics.service';
import { AgentStatsSummarySource, StatsSummarySource } from './resource-metrics/stats-summary.source';
import { ObjectStoreRepository } from './storage/object-store.repository';
import { OutboxRelayService } from './storage/outbox-relay.service';
import { storageTransformersProvider } from './storage/storage-transformers.provider';
import { WatchCacheService } from './storage/watch-cache.service';

@Module({})
export class AppModule implements NestModule {
  static forRoot(config: ApiGatewayConfig): DynamicModule {
    return {
      module: AppModule,
      // Order matters: the catch-all /api and /apis routes come last.
      controllers: [
        HealthController,
        IssuerDiscoveryController,
        MetricsController,
        OpenApiController,
        KubeApiController,
      ],
      providers: [
        configProvider(config),
        databaseProvider,
        natsProvider,
        redisProvider,
        AgentDirectoryService,
        ContainerLogsService,
        LogSvcClient,
        PodUpgradeProxy,
        { provide: StatsSummarySource, useClass: AgentStatsSummarySource },
        ResourceMetricsService,
        // Built-ins plus what the stored CRDs add (CustomResourceRegistryService keeps it current).
        { provide: ResourceRegistry, useFactory: () => new ResourceRegistry() },
        Clock,
        auditBackendProvider(config),
        AuditService,
        AdminTokenService,
        serviceAccountKeyProvider(),
        ServiceAccountTokenService,
        AuthenticatorService,
        ServiceAccountAdmissionService,
        SelfSubjectReviewService,
        TokenReviewService,
        RbacPolicyCache,
        NodeGraph,
        NodeAuthorizer,
        AuthorizationService,
        RbacEscalationCheck,
        AccessReviewService,
        RbacBootstrapService,
        MetricsService,
        storageTransformersProvider(config),
        ObjectStoreRepository,
        OutboxRelayService,
        WatchCacheService,
        AdmissionService,
        DeletionService,
        PodEvictionService,
        PodBindingService,
        ResourceStrategies,
        { provide: ClusterIps, useClass: NatsClusterIps },
        MasterServiceService,
        ResourceReaderService,
        ResourceWriterService,
        WatchService,
        NamespaceLifecycleService,
        KubeApiService,
        DiscoveryService,
        CustomResourceDefinitionLifecycleService,
        CustomResourceRegistryService,
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    // The audit sees every request, the unauthenticated ones included; it runs first.
    consumer.apply(AuditMiddleware).forRoutes('*path');
    consumer
      // Authorization reads the user authentication found.
      .apply(AuthenticationMiddleware, AuthorizationMiddleware)
      .exclude(
        { path: 'healthz', method: RequestMethod.GET },
        { path: 'livez', method: RequestMethod.GET },
        { path: 'readyz', method: RequestMethod.GET },
        { path: 'version', method: RequestMethod.GET },
        { path: '.well-known/openid-configuration', method: RequestMethod.GET },
        { path: 'openid/v1/jwks', method: RequestMethod.GET },
      )
      .forRoutes('*path');
  }
}
