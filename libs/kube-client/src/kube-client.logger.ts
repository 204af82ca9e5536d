/** Where the library reports what it swallows or retries; a NestJS `Logger` fits. */
export interface KubeClientLogger {
  warn(message: string): void;
}

export const consoleLogger: KubeClientLogger = { warn: (message) => console.warn(message) };
