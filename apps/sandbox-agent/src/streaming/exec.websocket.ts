import { Logger } from '@nestjs/common';
import { errorMessage } from '@skiff/api-machinery';
import { IncomingMessage } from 'node:http';
import { Duplex } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { WebSocket } from 'ws';
import { AgentAuthService } from './agent-auth.service';
import { ContainerLogLocator, ExecTarget } from './container-log-locator';
import {
  acceptContainerStream,
  Channel,
  errorStatus,
  exitCodeOf,
  exitStatus,
  finishSession,
  parseResize,
  sendFrame,
} from './k8s-channel.protocol';

const EXEC_PATH = /^\/exec\/([^/]+)\/([^/]+)\/([^/?]+)$/;
/** kubectl sends the real size right after connecting; this is only what the terminal starts with. */
const INITIAL_SIZE = { cols: 80, rows: 24 };

interface ExecRequest {
  namespace: string;
  pod: string;
  container: string;
  command: string[];
  stdin: boolean;
  tty: boolean;
}

/**
 * kubelet's exec endpoint over WebSocket: `GET /exec/<ns>/<pod>/<container>?command=...&stdin=...&tty=...`
 * upgraded to v5 (or v4).channel.k8s.io. The API server proxies kubectl's upgrade here unchanged.
 */
export class ExecWebSocketHandler {
  private readonly log = new Logger('exec');

  constructor(
    private readonly auth: AgentAuthService,
    private readonly locator: ContainerLogLocator,
  ) {}

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    acceptContainerStream(
      { req, socket, head },
      EXEC_PATH,
      this.auth,
      (ws, { namespace, pod, container, url, flag }) => {
        const request: ExecRequest = {
          namespace,
          pod,
          container,
          command: url.searchParams.getAll('command'),
          stdin: flag('stdin'),
          tty: flag('tty'),
        };
        void this.run(ws, request);
      },
    );
  }

  private async run(ws: WebSocket, req: ExecRequest): Promise<void> {
    // kubectl sends stdin and its terminal size at once; hold them until the process is there.
    const early: Buffer[] = [];
    const hold = (data: Buffer): number => early.push(data);
    ws.on('message', hold);
    const finish = (status: string): void => finishSession(ws, status);
    const send = (channel: Channel, data: Buffer | string): void => sendFrame(ws, channel, data);
    if (req.command.length === 0) return finish(errorStatus('you must specify at least one command for the container'));
    let onMessage: (data: Buffer) => void;
    try {
      const target = await this.locator.locateExec(req.namespace, req.pod, req.container);
      onMessage = req.tty
        ? await this.onTerminal(ws, target, req, send, finish)
        : this.withPipes(ws, target, req, send, finish);
    } catch (err) {
      return finish(errorStatus(errorMessage(err)));
    }
    this.log.debug?.(
      `exec${req.tty ? ' -t' : ''} in ${req.namespace}/${req.pod}/${req.container}: ${req.command.join(' ')}`,
    );
    ws.off('message', hold);
    ws.on('message', onMessage);
    early.forEach(onMessage);
  }

  private withPipes(
    ws: WebSocket,
    target: ExecTarget,
    req: ExecRequest,
    send: (c: Channel, d: Buffer) => void,
    finish: (status: string) => void,
  ): (data: Buffer) => void {
    const proc = target.spawn(req.command);
    proc.stdout?.on('data', (d: Buffer) => send(Channel.Stdout, d));
    proc.stderr?.on('data', (d: Buffer) => send(Channel.Stderr, d));
    if (!req.stdin) proc.stdin?.end();
    whenClosed(ws, () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    });
    proc.on('error', (err) => finish(errorStatus(err.message)));
    // 'close' (not 'exit'): all output has been read by then.
    proc.on('close', (code, signal) => finish(exitStatus(req.command, exitCodeOf(code, signal))));
    return (data) => {
      if (data[0] === Channel.Stdin && req.stdin) proc.stdin?.write(data.subarray(1));
      else if (data[0] === Channel.Close && data[1] === Channel.Stdin) proc.stdin?.end();
    };
  }

  // On a terminal there is one output stream (stdout); stdin and resizes go to the pty.
  private async onTerminal(
    ws: WebSocket,
    target: ExecTarget,
    req: ExecRequest,
    send: (c: Channel, d: string) => void,
    finish: (status: string) => void,
  ): Promise<(data: Buffer) => void> {
    const term = await target.spawnTerminal(req.command, INITIAL_SIZE);
    const input = new StringDecoder('utf8');
    let exited = false;
    term.onData((d) => send(Channel.Stdout, d));
    term.onExit(({ exitCode, signal }) => {
      exited = true;
      finish(exitStatus(req.command, exitCodeOf(exitCode, signal ?? null)));
    });
    // The client went away: hang up, as closing a terminal does; the runtime forwards SIGHUP to the process.
    whenClosed(ws, () => exited || term.kill('SIGHUP'));
    return (data) => {
      if (data[0] === Channel.Stdin && req.stdin) term.write(input.write(data.subarray(1)));
      else if (data[0] === Channel.Resize) {
        const size = parseResize(data.subarray(1));
        if (size) term.resize(size.cols, size.rows);
      } else if (data[0] === Channel.Close && data[1] === Channel.Stdin) term.write('\x04');
    };
  }
}

// The client may have gone while the container was being looked up: then at once.
function whenClosed(ws: WebSocket, fn: () => void): void {
  if (ws.readyState === WebSocket.CLOSING || ws.readyState === WebSocket.CLOSED) fn();
  else ws.once('close', fn);
}
