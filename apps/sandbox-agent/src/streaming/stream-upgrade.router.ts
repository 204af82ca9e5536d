import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { IncomingMessage, Server } from 'node:http';
import { Duplex } from 'node:stream';
import { ATTACH_PATH, AttachWebSocketHandler } from './attach.websocket';
import { ExecWebSocketHandler } from './exec.websocket';
import { PORT_FORWARD_PATH, PortForwardUpgradeHandler } from './port-forward.upgrade';

/**
 * exec, attach and port-forward arrive as HTTP upgrades the API server splices through; they bypass the
 * router, so this hands each upgrade of the agent's server to its handler by path (exec is the default).
 */
@Injectable()
export class StreamUpgradeRouter implements OnApplicationBootstrap {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly exec: ExecWebSocketHandler,
    private readonly attach: AttachWebSocketHandler,
    private readonly portForward: PortForwardUpgradeHandler,
  ) {}

  onApplicationBootstrap(): void {
    // An application context without HTTP (specs) has no server to listen on.
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    server?.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.route(req, socket, head));
  }

  route(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const pathname = new URL(req.url ?? '/', 'https://agent.local').pathname;
    if (PORT_FORWARD_PATH.test(pathname)) this.portForward.handleUpgrade(req, socket, head);
    else if (ATTACH_PATH.test(pathname)) this.attach.handleUpgrade(req, socket, head);
    else this.exec.handleUpgrade(req, socket, head);
  }
}
