import type { IPty } from '@lydell/node-pty';
import type { ChildProcess } from 'node:child_process';
import type { TerminalSize } from '../runtime/container-runtime';

/** Where a container's log is, as the pod manager knows it. */
export interface ContainerLogFile {
  path: string;
  /** True while the container may still append to this file (follow stops after it ends). */
  stillWriting: () => boolean;
}

/** A running container a command can be executed in. */
export interface ExecTarget {
  /** Runs `command` in the container with piped stdio (no TTY). */
  spawn(command: string[]): ChildProcess;
  /** Runs `command` in the container on a terminal (`exec -t`). */
  spawnTerminal(command: string[], size: TerminalSize): Promise<IPty>;
}

/** A running container's stdio, as conmon holds it, for `kubectl attach`. */
export interface AttachTarget {
  /** Started with a terminal: one output stream, and resizes apply. */
  tty: boolean;
  /** Started with stdin held open (`stdin: true`): input can be written. */
  stdin: boolean;
  /** The log the running instance writes: what is appended from now on is the session's output. */
  logPath: string;
  /** A connection to the container's stdin; ending its stdin detaches. */
  openStdin(): Promise<ChildProcess>;
  resize(size: TerminalSize): Promise<void>;
  /** True once the container has ended (then its log is complete). */
  finished(): Promise<boolean>;
}

/** Where a pod's ports are: its network namespace and its address on the bridge. */
export interface PortForwardTarget {
  /** `/var/run/netns/skiff-<podId>`: entered to dial the port on the pod's loopback, as kubelet does. */
  netnsPath: string;
  /** The pod's address on the bridge, for when the netns cannot be entered. */
  ip: string;
}

export interface ContainerLogLocator {
  /**
   * The current (or with `previous`, the last terminated) log of a container of a pod on this
   * host; throws an ApiError (e.g. 400 "container is waiting to start") when there is none.
   */
  locateLog(namespace: string, pod: string, container: string, previous: boolean): Promise<ContainerLogFile>;
  /** A running container of a pod on this host; throws an ApiError when it is not running. */
  locateExec(namespace: string, pod: string, container: string): Promise<ExecTarget>;
  /** A running container of a pod on this host to attach to; throws an ApiError when it is not running. */
  locateAttach(namespace: string, pod: string, container: string): Promise<AttachTarget>;
  /** The network of a pod on this host whose sandbox is up; throws an ApiError otherwise. */
  locatePortForward(namespace: string, pod: string): Promise<PortForwardTarget>;
}

export const CONTAINER_LOG_LOCATOR = Symbol('CONTAINER_LOG_LOCATOR');
