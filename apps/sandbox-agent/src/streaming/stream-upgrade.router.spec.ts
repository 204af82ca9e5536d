import { HttpAdapterHost } from '@nestjs/core';
import { EventEmitter } from 'node:events';
import { IncomingMessage } from 'node:http';
import { Duplex } from 'node:stream';
import { AttachWebSocketHandler } from './attach.websocket';
import { ExecWebSocketHandler } from './exec.websocket';
import { PortForwardUpgradeHandler } from './port-forward.upgrade';
import { StreamUpgradeRouter } from './stream-upgrade.router';

describe(StreamUpgradeRouter.name, () => {
  it("hands each upgrade of the agent's server to the handler its path names", () => {
    const server = new EventEmitter();
    const seen: string[] = [];
    const handler = (name: string) => ({ handleUpgrade: (req: IncomingMessage) => seen.push(`${name} ${req.url}`) });
    const router = new StreamUpgradeRouter(
      { httpAdapter: { getHttpServer: () => server } } as unknown as HttpAdapterHost,
      handler('exec') as unknown as ExecWebSocketHandler,
      handler('attach') as unknown as AttachWebSocketHandler,
      handler('port-forward') as unknown as PortForwardUpgradeHandler,
    );
    router.onApplicationBootstrap();

    for (const url of [
      '/portForward/default/web?ports=8080',
      '/attach/default/web/main?stdin=true',
      '/exec/default/web/main?command=sh',
      '/anything/else',
    ])
      server.emit('upgrade', { url } as IncomingMessage, new Duplex(), Buffer.alloc(0));

    expect(seen).toEqual([
      'port-forward /portForward/default/web?ports=8080',
      'attach /attach/default/web/main?stdin=true',
      'exec /exec/default/web/main?command=sh',
      'exec /anything/else',
    ]);
  });
});
