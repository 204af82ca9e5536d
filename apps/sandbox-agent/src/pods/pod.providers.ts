import { Provider } from '@nestjs/common';
import { Clock } from '@skiff/api-machinery';
import { EventRecorder } from '@skiff/controller-runtime';
import { NetworkPolicyEnforcer } from '../network-policy/network-policy.enforcer';
import { CONFIG_OBJECT_SOURCE, POD_MANAGER_CONFIG } from '../platform/agent.providers';
import { ConfigObjectSource } from './env-resolver';
import { ImagePuller } from './image-puller';
import { PodAdmission } from './pod-admission.service';
import { PodAdoption } from './pod-adoption.service';
import { PodHost } from './pod-host';
import { IpamClient } from './ipam.client';
import { PodLifecycle } from './pod-lifecycle';
import { PodLogs } from './pod-logs';
import { PodManagerConfig } from './pod-manager.config';
import { PodRecords } from './pod-records';
import { PodStatusReporter } from './pod-status.reporter';
import { PodSync } from './pod-sync.service';
import { PodTermination } from './pod-termination';
import { ContainerProber } from './probes/prober';

/**
 * The parts of the pod manager, one job each. They need PodHost, PodLogs, Clock, POD_MANAGER_CONFIG and the
 * boundary providers (`podBoundaryProviders`); PodManager, the face that starts them, is listed beside these.
 */
export const podProviders: Provider[] = [
  { provide: ContainerProber, useFactory: () => new ContainerProber() },
  {
    provide: ImagePuller,
    useFactory: (host: PodHost, events: EventRecorder, source: ConfigObjectSource, clock: Clock) =>
      new ImagePuller(host.images, events, source, clock),
    inject: [PodHost, EventRecorder, CONFIG_OBJECT_SOURCE, Clock],
  },
  {
    provide: PodLifecycle,
    useFactory: (
      config: PodManagerConfig,
      host: PodHost,
      puller: ImagePuller,
      prober: ContainerProber,
      events: EventRecorder,
      source: ConfigObjectSource,
      clock: Clock,
      ipam: IpamClient,
      policies?: NetworkPolicyEnforcer,
    ) =>
      new PodLifecycle({
        runtimes: host.runtimes,
        images: host.images,
        puller,
        volumes: host.volumes,
        prober,
        events,
        source,
        bridge: host.bridge,
        pauseImage: config.pauseImage,
        startConcurrency: config.startConcurrency,
        dns: config.dns,
        allocatable: { cpuMilli: config.capacity.cpuMilli, memoryBytes: config.capacity.memoryBytes },
        clock,
        guardAddress: policies && ((pod, ip) => policies.guardAddress(pod, ip)),
        ipam,
        hostId: config.hostId,
      }),
    inject: [
      POD_MANAGER_CONFIG,
      PodHost,
      ImagePuller,
      ContainerProber,
      EventRecorder,
      CONFIG_OBJECT_SOURCE,
      Clock,
      IpamClient,
      // Absent where a test assembles the pod manager without the network policy part.
      { token: NetworkPolicyEnforcer, optional: true },
    ],
  },
  {
    provide: PodTermination,
    useFactory: (host: PodHost, logs: PodLogs, events: EventRecorder, clock: Clock) =>
      new PodTermination(host.runtimes, host.volumes, logs, events, clock),
    inject: [PodHost, PodLogs, EventRecorder, Clock],
  },
  PodRecords,
  PodAdmission,
  PodStatusReporter,
  PodSync,
  PodAdoption,
];
