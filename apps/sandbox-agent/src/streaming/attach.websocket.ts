import { Logger } from '@nestjs/common';
import { errorMessage } from '@skiff/api-machinery';
import { ChildProcess } from 'node:child_process';
import { IncomingMessage } from 'node:http';
import { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import { AgentAuthService } from './agent-auth.service';
import { AttachTarget, ContainerLogLocator } from './container-log-locator';
import { CriLogFollower } from './cri-log.follower';
import {
  acceptContainerStream,
  Channel,
  errorStatus,
  finishSession,
  parseResize,
  sendFrame,
} from './k8s-channel.protocol';

export const ATTACH_PATH = /^\/attach\/([^/]+)\/([^/]+)\/([^/?]+)$/;
/** How often a session looks whether the container has ended (which ends the session). */
const EXIT_CHECK_MS = 250;
// What kubelet's attach sends once the container's streams are over.
const SUCCESS = JSON.stringify({ metadata: {}, status: 'Success' });

interface AttachRequest {
  namespace: string;
  pod: string;
  container: string;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

/**
 * kubelet's attach endpoint over WebSocket: `GET /attach/<ns>/<pod>/<container>?stdin=..&stdout=..&stderr=..&tty=..`
 * upgraded to v5 (or v4).channel.k8s.io, which the API server splices through from kubectl. The container's
 * stdio is conmon's: input goes through conmon's attach socket, output is what the container writes to its
 * log from now on (a terminal's as one stream), and the container's exit ends the session.
 */
export class AttachWebSocketHandler {
  private readonly log = new Logger('attach');

  constructor(
    private readonly auth: AgentAuthService,
    private readonly locator: ContainerLogLocator,
  ) {}

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    acceptContainerStream({ req, socket, head }, ATTACH_PATH, this.auth, (ws, { namespace, pod, container, flag }) => {
      const request: AttachRequest = {
        namespace,
        pod,
        container,
        stdin: flag('stdin'),
        stdout: flag('stdout'),
        stderr: flag('stderr'),
      };
      void this.run(ws, request);
    });
  }

  private async run(ws: WebSocket, req: AttachRequest): Promise<void> {
    // kubectl sends its terminal size (and maybe input) at once; hold it until the container is found.
    const early: Buffer[] = [];
    const hold = (data: Buffer): number => early.push(data);
    ws.on('message', hold);
    const send = (channel: Channel, data: Buffer | string): void => sendFrame(ws, channel, data);
    const finish = (status: string): void => finishSession(ws, status);
    let target: AttachTarget;
    try {
      target = await this.locator.locateAttach(req.namespace, req.pod, req.container);
    } catch (err) {
      return finish(errorStatus(errorMessage(err)));
    }
    this.log.debug?.(`attach to ${req.namespace}/${req.pod}/${req.container}${target.tty ? ' (tty)' : ''}`);
    // On a terminal there is one stream, sent as stdout (kubelet's attach does the same).
    const follower = new CriLogFollower(target.logPath, (stream, data) => {
      if (target.tty || stream === 'stdout') {
        if (req.stdout) send(Channel.Stdout, data);
      } else if (req.stderr) send(Channel.Stderr, data);
    });
    let input: ChildProcess | undefined;
    let ended = false;
    const end = async (status?: string): Promise<void> => {
      if (ended) return;
      ended = true;
      clearInterval(watch);
      if (status) await follower.poll();
      await follower.stop();
      // Detaching closes only this connection to conmon; the container goes on (its stdin too, unless stdinOnce).
      if (input && input.exitCode === null && input.signalCode === null) input.stdin?.end();
      if (status) finish(status);
    };
    const watch = setInterval(() => {
      void target.finished().then(
        (done) => (done ? end(SUCCESS) : undefined),
        () => undefined,
      );
    }, EXIT_CHECK_MS);
    try {
      await follower.start();
      if (req.stdin && target.stdin) {
        input = await target.openStdin();
        input.stdin?.on('error', () => undefined);
        input.on('error', () => undefined);
      }
    } catch (err) {
      await end(errorStatus(`error attaching to container: ${errorMessage(err)}`));
      return;
    }
    let resizing = Promise.resolve();
    const onMessage = (data: Buffer): void => {
      if (data[0] === Channel.Stdin && input) input.stdin?.write(data.subarray(1));
      else if (data[0] === Channel.Resize && target.tty) {
        const size = parseResize(data.subarray(1));
        // In order: kubectl sends its size plus one, then the size, to make the screen redraw.
        if (size) resizing = resizing.then(() => target.resize(size)).catch(() => undefined);
      } else if (data[0] === Channel.Close && data[1] === Channel.Stdin) input?.stdin?.end();
    };
    whenClosed(ws, () => void end());
    ws.off('message', hold);
    ws.on('message', onMessage);
    early.forEach(onMessage);
  }
}

// The client may have gone while the container was being looked up: then at once.
function whenClosed(ws: WebSocket, fn: () => void): void {
  if (ws.readyState === WebSocket.CLOSING || ws.readyState === WebSocket.CLOSED) fn();
  else ws.once('close', fn);
}
