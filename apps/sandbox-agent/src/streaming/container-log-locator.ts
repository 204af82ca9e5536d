import type { ChildProcess } from 'node:child_process';

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
}

export interface ContainerLogLocator {
  /**
   * The current (or with `previous`, the last terminated) log of a container of a pod on this
   * host; throws an ApiError (e.g. 400 "container is waiting to start") when there is none.
   */
  locateLog(namespace: string, pod: string, container: string, previous: boolean): Promise<ContainerLogFile>;
  /** A running container of a pod on this host; throws an ApiError when it is not running. */
  locateExec(namespace: string, pod: string, container: string): Promise<ExecTarget>;
}

export const CONTAINER_LOG_LOCATOR = Symbol('CONTAINER_LOG_LOCATOR');
