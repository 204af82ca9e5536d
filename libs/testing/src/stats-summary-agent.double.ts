import { clientCertRequest, issueServingCert, peerUser, API_SERVER_PEER } from '@skiff/config';
import { StatsSummary, STATS_SUMMARY_PATH } from '@skiff/kube-types';
import { readFileSync } from 'node:fs';
import { createServer, Server } from 'node:https';
import * as path from 'node:path';
import { freePort } from './test-cluster';

/**
 * A stand-in for a sandbox agent's stats endpoint, for tests and benches that need pods' metrics without running
 * their sandboxes: an HTTPS server with a certificate of the cluster CA that lets in only the API server's client certificate and
 * answers GET /stats/summary with what `summary` returns.
 */
export class StatsSummaryAgentDouble {
  requests = 0;
  private server?: Server;

  constructor(private readonly summary: () => StatsSummary) {}

  /** Listens on a free loopback port; resolves the endpoint to register in the host registry. */
  async start(stateDir: string, name: string): Promise<string> {
    const pki = path.join(stateDir, 'pki');
    const cert = issueServingCert({
      caFile: path.join(pki, 'ca.crt'),
      caKeyFile: path.join(pki, 'ca.key'),
      outDir: path.join(stateDir, name),
      name,
      sans: ['127.0.0.1'],
    });
    const tls = {
      cert: readFileSync(cert.certFile),
      key: readFileSync(cert.keyFile),
      ...clientCertRequest(readFileSync(path.join(pki, 'ca.crt'))),
    };
    this.server = createServer(tls, (req, res) => {
      this.requests++;
      if (peerUser(req.socket) !== API_SERVER_PEER) return void res.writeHead(401).end();
      if (req.method !== 'GET' || req.url !== STATS_SUMMARY_PATH) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(this.summary()));
    });
    const port = await freePort();
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    return `https://127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
