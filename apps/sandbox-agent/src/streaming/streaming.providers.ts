import { Provider } from '@nestjs/common';
import { AgentAuthService } from './agent-auth.service';
import { AttachWebSocketHandler } from './attach.websocket';
import { CONTAINER_LOG_LOCATOR, ContainerLogLocator } from './container-log-locator';
import { ExecWebSocketHandler } from './exec.websocket';
import { PodPortDialer } from './pod-port.dialer';
import { PortForwardUpgradeHandler } from './port-forward.upgrade';
import { StreamUpgradeRouter } from './stream-upgrade.router';

/** The agent's stream endpoints (logs over HTTP; exec, attach, port-forward as upgrades); they need CONTAINER_LOG_LOCATOR. */
export const streamingProviders: Provider[] = [
  AgentAuthService,
  { provide: PodPortDialer, useFactory: () => new PodPortDialer() },
  {
    provide: ExecWebSocketHandler,
    useFactory: (auth: AgentAuthService, locator: ContainerLogLocator) => new ExecWebSocketHandler(auth, locator),
    inject: [AgentAuthService, CONTAINER_LOG_LOCATOR],
  },
  {
    provide: AttachWebSocketHandler,
    useFactory: (auth: AgentAuthService, locator: ContainerLogLocator) => new AttachWebSocketHandler(auth, locator),
    inject: [AgentAuthService, CONTAINER_LOG_LOCATOR],
  },
  {
    provide: PortForwardUpgradeHandler,
    useFactory: (auth: AgentAuthService, locator: ContainerLogLocator, dialer: PodPortDialer) =>
      new PortForwardUpgradeHandler(auth, locator, dialer),
    inject: [AgentAuthService, CONTAINER_LOG_LOCATOR, PodPortDialer],
  },
  StreamUpgradeRouter,
];
