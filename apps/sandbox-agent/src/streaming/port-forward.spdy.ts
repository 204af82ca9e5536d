import { PodPortConnection, PodPortDialer } from './pod-port.dialer';
import { PortForwardTarget } from './container-log-locator';
import { SpdyStream } from './spdy/spdy.session';

// kubelet's portforward.k8s.io over SPDY: per forwarded connection the client opens an error
// stream and a data stream, both with headers `streamType`, `port` and `requestID`.
const STREAM_TYPE = 'streamtype';
const PORT = 'port';
const REQUEST_ID = 'requestid';
// How long the first stream of a pair waits for its partner (kubelet: streamCreationTimeout).
const PAIR_TIMEOUT_MS = 30_000;

interface StreamPair {
  port: number;
  data?: SpdyStream;
  error?: SpdyStream;
  timer?: NodeJS.Timeout;
}

/** Pairs the streams of a SPDY port-forward session and connects each pair to the pod's port. */
export class SpdyPortForwarder {
  private readonly pairs = new Map<string, StreamPair>();
  private readonly connections = new Set<PodPortConnection>();

  constructor(
    private readonly target: PortForwardTarget,
    private readonly dialer: PodPortDialer,
    private readonly podLabel: string,
  ) {}

  /** The session's stream handler: accepts well-formed streams (SYN_REPLY), refuses the rest. */
  readonly accept = (stream: SpdyStream): boolean => {
    const type = stream.headers.get(STREAM_TYPE);
    const port = Number(stream.headers.get(PORT));
    if ((type !== 'data' && type !== 'error') || !Number.isInteger(port) || port < 1 || port > 65535) return false;
    // Old clients send no requestID: then one connection at a time per port, keyed by port.
    const key = stream.headers.get(REQUEST_ID) ?? `port-${port}`;
    const pair = this.pairs.get(key) ?? { port };
    if (pair[type] || pair.port !== port) return false;
    pair[type] = stream;
    stream.on('error', () => undefined);
    if (pair.data && pair.error) {
      clearTimeout(pair.timer);
      this.pairs.delete(key);
      const { data, error } = pair;
      // After the SYN_REPLY the session queues once this handler returns.
      setImmediate(() => this.forward(pair.port, data, error));
    } else {
      pair.timer = setTimeout(() => {
        this.pairs.delete(key);
        pair.data?.destroy();
        pair.error?.destroy();
      }, PAIR_TIMEOUT_MS);
      this.pairs.set(key, pair);
    }
    return true;
  };

  /** The session ended: stop waiting for partners and drop the pod connections. */
  close(): void {
    for (const p of this.pairs.values()) clearTimeout(p.timer);
    this.pairs.clear();
    for (const c of this.connections) c.close();
    this.connections.clear();
  }

  private forward(port: number, data: SpdyStream, error: SpdyStream): void {
    const conn = this.dialer.dial(this.target, port);
    this.connections.add(conn);
    // The client half-closes the error stream at once; nothing is read from it.
    error.resume();
    conn.output.pipe(data);
    data.pipe(conn.input);
    data.once('close', () => conn.close());
    void conn.done.then((failure) => {
      this.connections.delete(conn);
      if (failure && !error.destroyed) error.write(`error forwarding port ${port} to pod ${this.podLabel}: ${failure}`);
      if (!error.destroyed) error.end();
    });
  }
}
