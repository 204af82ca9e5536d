import { Provider } from '@nestjs/common';
import { Clock } from '@skiff/api-machinery';
import { EventRecorder } from '@skiff/controller-runtime';
import { NatsConnection } from 'nats';
import * as path from 'node:path';
import { NATS, POD_MANAGER_CONFIG } from '../platform/agent.providers';
import { PodLogs } from '../pods/pod-logs';
import { PodManagerConfig } from '../pods/pod-manager.config';
import { SandboxHost } from '../pods/sandbox-host';
import { JetStreamLogPublisher } from './log-batch.publisher';
import { LogCollectionConfig, logCollectionConfigOf } from './log-collection.config';
import { LogCollector, PodLogPaths } from './log-collector';

export const LOG_COLLECTION_CONFIG = Symbol('LOG_COLLECTION_CONFIG');

/** Where conmon's logs and the pods' volumes are on this host. */
export function sandboxLogPaths(host: SandboxHost): PodLogPaths {
  return {
    containerLogDir: (uid, container) => path.dirname(host.logPath(uid, container, 0)),
    volumeDir: (uid, volume) => host.volumes.volumeDir(uid, volume),
  };
}

/** The log collection (`PodLogs` for the pod code). Needs SandboxHost, NATS, EventRecorder, Clock, POD_MANAGER_CONFIG. */
export const logProviders: Provider[] = [
  {
    provide: LOG_COLLECTION_CONFIG,
    useFactory: (c: PodManagerConfig): LogCollectionConfig => logCollectionConfigOf(c),
    inject: [POD_MANAGER_CONFIG],
  },
  {
    provide: LogCollector,
    useFactory: (
      c: LogCollectionConfig,
      host: SandboxHost,
      nats: NatsConnection,
      events: EventRecorder,
      clock: Clock,
    ) =>
      new LogCollector(
        c,
        sandboxLogPaths(host),
        events,
        new JetStreamLogPublisher(nats, c.natsPrefix, c.hostId, c.streamMaxBytes),
        clock,
      ),
    inject: [LOG_COLLECTION_CONFIG, SandboxHost, NATS, EventRecorder, Clock],
  },
  { provide: PodLogs, useExisting: LogCollector },
];
