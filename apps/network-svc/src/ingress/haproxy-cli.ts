import { createConnection } from 'node:net';

/** HAProxy's runtime API and master CLI over their UNIX sockets: one connection per command line, read to the end. */
export class HaproxyCli {
  send(socket: string, command: string, timeoutMs = 5_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const conn = createConnection(socket);
      const chunks: Buffer[] = [];
      const timer = setTimeout(
        () => conn.destroy(new Error(`"${command}" got no answer from ${socket} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      // Without `prompt` HAProxy answers the line and closes the connection.
      conn.on('connect', () => conn.end(`${command}\n`));
      conn.on('data', (b: Buffer) => chunks.push(b));
      conn.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      conn.on('close', (hadError) => {
        clearTimeout(timer);
        if (!hadError) resolve(Buffer.concat(chunks).toString('utf8'));
      });
    });
  }
}
