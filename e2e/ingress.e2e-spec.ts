import { eventually, internetClient, InternetClient, runCommand, startTestCluster, TestCluster } from '@skiff/testing';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

// The cafe example (tea and coffee behind one host, TLS, routed by path); each backend says what it serves.
const drink = (name: string, replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: httpd
          image: busybox
          command: [sh, -c, 'mkdir -p /www; echo ${name} > /www/index.html; cp /www/index.html /www/${name}; echo rewritten > /www/rewritten.txt; exec httpd -f -p 8080 -h /www']
          readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: ${name}-svc}
spec:
  selector: {app: ${name}}
  ports: [{port: 80, targetPort: 8080}]
`;

const CAFE = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: cafe-ingress}
spec:
  tls:
    - hosts: [cafe.example.com]
      secretName: cafe-secret
  rules:
    - host: cafe.example.com
      http:
        paths:
          - {path: /tea, pathType: Prefix, backend: {service: {name: tea-svc, port: {number: 80}}}}
          - {path: /coffee, pathType: Prefix, backend: {service: {name: coffee-svc, port: {number: 80}}}}
`;

const SHOP = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop}
spec:
  ingressClassName: alb
  tls: [{hosts: [shop.example.com], secretName: shop-secret}]
  rules:
    - host: shop.example.com
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: coffee-svc, port: {number: 80}}}}
          - {path: /closed, pathType: Exact, backend: {service: {name: nobody-svc, port: {number: 80}}}}
---
apiVersion: v1
kind: Service
metadata: {name: nobody-svc}
spec:
  selector: {app: nobody}
  ports: [{port: 80, targetPort: 8080}]
`;

const REWRITE = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: rewrite
  annotations:
    nginx.ingress.kubernetes.io/rewrite-target: /$2
spec:
  ingressClassName: nginx
  rules:
    - host: app.example.com
      http:
        paths:
          - {path: /app(/|$)(.*), pathType: ImplementationSpecific, backend: {service: {name: tea-svc, port: {number: 80}}}}
`;

describe('Ingress without a controller: the built-in proxy in the edge (kubectl, curl from an internet client)', () => {
  let cluster: TestCluster;
  let client: InternetClient;
  let pki = '';
  const ns = 'cafe';
  const k = (...args: string[]) => cluster.kubectl([...args, '-n', ns]);
  const apply = (yaml: string) => cluster.kubectl(['apply', '-n', ns, '-f', '-'], { stdin: yaml });
  const address = async (ing: string) =>
    (await k('get', 'ingress', ing, '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}')).stdout;
  // curl from the internet side, the host name resolved to the Ingress address, trusting only the test CA.
  const curl = (ip: string, url: string, ...extra: string[]) => {
    const { hostname, protocol } = new URL(url);
    const port = protocol === 'https:' ? 443 : 80;
    return client.run('curl', [
      '-sS',
      '--max-time',
      '5',
      '--resolve',
      `${hostname}:${port}:${ip}`,
      '--cacert',
      path.join(pki, 'ca.crt'),
      '-o',
      '-',
      '-w',
      '\n%{http_code}',
      ...extra,
      url,
    ]);
  };
  const answer = async (ip: string, url: string, ...extra: string[]) => {
    const r = await curl(ip, url, ...extra);
    const lines = r.stdout.trimEnd().split('\n');
    return { code: Number(lines.pop()), body: lines.join('\n').trim(), stderr: r.stderr };
  };

  async function openssl(...args: string[]): Promise<void> {
    const r = await runCommand('openssl', args);
    if (r.code !== 0) throw new Error(r.stderr);
  }

  async function tlsSecret(name: string, host: string): Promise<void> {
    const key = path.join(pki, `${host}.key`);
    const csr = path.join(pki, `${host}.csr`);
    const crt = path.join(pki, `${host}.crt`);
    await openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-subj', `/CN=${host}`, '-out', csr);
    const ext = path.join(pki, `${host}.ext`);
    writeFileSync(ext, `subjectAltName=DNS:${host}\n`);
    await openssl(
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      path.join(pki, 'ca.crt'),
      '-CAkey',
      path.join(pki, 'ca.key'),
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      ext,
      '-out',
      crt,
    );
    expect((await k('create', 'secret', 'tls', name, `--cert=${crt}`, `--key=${key}`)).code).toBe(0);
  }

  beforeAll(async () => {
    cluster = await startTestCluster({}, ['api-gateway', 'network-svc', 'scheduler', 'sandbox-agent']);
    client = await internetClient(cluster.edge!);
    pki = mkdtempSync(path.join(tmpdir(), 'skiff-ingress-'));
    await openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      path.join(pki, 'ca.key'),
      '-subj',
      '/CN=skiff test CA',
      '-days',
      '2',
      '-out',
      path.join(pki, 'ca.crt'),
    );
    expect((await cluster.kubectl(['create', 'namespace', ns])).code).toBe(0);
    await tlsSecret('cafe-secret', 'cafe.example.com');
    await tlsSecret('shop-secret', 'shop.example.com');
    expect((await apply(drink('tea', 1) + '---\n' + drink('coffee', 2))).code).toBe(0);
    expect((await k('rollout', 'status', 'deployment/tea', 'deployment/coffee', '--timeout=120s')).code).toBe(0);
  }, 240_000);

  afterAll(async () => {
    await client?.remove();
    await cluster?.stop();
    if (pki) rmSync(pki, { recursive: true, force: true });
  }, 120_000);

  let cafe = '';

  it('installs the alb (default) and nginx IngressClasses', async () => {
    const classes = await eventually(
      async () => {
        const out = (await cluster.kubectl(['get', 'ingressclass'])).stdout;
        return out.includes('alb') && out.includes('nginx') ? out : undefined;
      },
      30_000,
      'the IngressClasses',
    );
    expect(classes).toMatch(/alb\s+ingress\.k8s\.alibabacloud\/alb/);
    expect(classes).toMatch(/nginx\s+k8s\.io\/ingress-nginx/);
  }, 60_000);

  it('gives the cafe Ingress an address, shown by kubectl get ingress', async () => {
    expect((await apply(CAFE)).code).toBe(0);
    cafe = await eventually(async () => (await address('cafe-ingress')) || undefined, 30_000, 'an Ingress address');
    expect(cafe.startsWith(cluster.edge!.slbPool.split('.').slice(0, 3).join('.') + '.')).toBe(true);
    const listed = (await k('get', 'ingress', 'cafe-ingress')).stdout;
    expect(listed).toMatch(
      new RegExp(`cafe-ingress\\s+<none>\\s+cafe\\.example\\.com\\s+${cafe.replace(/\./g, '\\.')}\\s+80, 443`),
    );
  }, 60_000);

  it("routes by path over HTTPS with the host's certificate", async () => {
    const tea = await eventually(
      async () => {
        const r = await answer(cafe, 'https://cafe.example.com/tea');
        return r.code === 200 ? r : undefined;
      },
      20_000,
      'tea over HTTPS',
    );
    expect(tea.body).toBe('tea');
    expect(await answer(cafe, 'https://cafe.example.com/coffee')).toMatchObject({ code: 200, body: 'coffee' });
    expect((await answer(cafe, 'https://cafe.example.com/juice')).code).toBe(404);
  }, 60_000);

  it('redirects HTTP to HTTPS for a TLS host, and answers 404 for an unknown host', async () => {
    const redirect = await answer(cafe, 'http://cafe.example.com/tea?x=1', '-D', '-');
    expect(redirect.code).toBe(308);
    expect(redirect.body).toMatch(/location: https:\/\/cafe\.example\.com\/tea\?x=1/i);
    expect((await answer(cafe, 'http://nowhere.example.com/')).code).toBe(404);
  }, 60_000);

  it('serves a second host with its own certificate on the same address (SNI), 503 without endpoints', async () => {
    expect((await apply(SHOP)).code).toBe(0);
    await eventually(async () => (await address('shop')) === cafe, 30_000, 'the same address');
    const shop = await eventually(
      async () => {
        const r = await answer(cafe, 'https://shop.example.com/');
        return r.code === 200 ? r : undefined;
      },
      20_000,
      'the shop over HTTPS',
    );
    expect(shop.body).toBe('coffee');
    expect((await answer(cafe, 'https://shop.example.com/closed')).code).toBe(503);
    // The cafe certificate does not name the shop: curl would refuse it had SNI picked the wrong one.
    expect((await answer(cafe, 'https://cafe.example.com/tea')).code).toBe(200);
  }, 60_000);

  it('rewrites with capture groups for an nginx-class Ingress, on its own address', async () => {
    expect((await apply(REWRITE)).code).toBe(0);
    const nginx = await eventually(async () => (await address('rewrite')) || undefined, 30_000, 'an address');
    expect(nginx).not.toBe(cafe);
    const r = await eventually(
      async () => {
        const x = await answer(nginx, 'http://app.example.com/app/rewritten.txt');
        return x.code === 200 ? x : undefined;
      },
      20_000,
      'the rewritten path',
    );
    expect(r.body).toBe('rewritten');
  }, 60_000);

  it('follows the backends: scaling coffee to 0 answers 503, back to 1 answers again', async () => {
    expect((await k('scale', 'deployment/coffee', '--replicas=0')).code).toBe(0);
    await eventually(async () => (await answer(cafe, 'https://cafe.example.com/coffee')).code === 503, 30_000, '503');
    expect((await k('scale', 'deployment/coffee', '--replicas=1')).code).toBe(0);
    await eventually(async () => (await answer(cafe, 'https://cafe.example.com/coffee')).code === 200, 60_000, '200');
  }, 120_000);

  it('keeps serving while network-svc restarts; the new one adopts the proxy and applies changes', async () => {
    let answered = 0;
    const failures: string[] = [];
    let done = false;
    const loop = (async () => {
      while (!done) {
        const r = await answer(cafe, 'https://cafe.example.com/tea');
        if (r.code === 200) answered++;
        else failures.push(`${r.code} ${r.stderr.trim()}`);
      }
    })();
    await cluster.stack.restart('network-svc');
    expect(
      (
        await k(
          'patch',
          'ingress',
          'cafe-ingress',
          '--type=json',
          '-p',
          '[{"op":"add","path":"/spec/rules/0/http/paths/-","value":{"path":"/index.html","pathType":"Exact","backend":{"service":{"name":"coffee-svc","port":{"number":80}}}}}]',
        )
      ).code,
    ).toBe(0);
    await eventually(
      async () => (await answer(cafe, 'https://cafe.example.com/index.html')).code === 200,
      90_000,
      'the new path after the restart',
    );
    done = true;
    await loop;
    expect(failures).toEqual([]);
    expect(answered).toBeGreaterThan(0);
  }, 180_000);

  it('takes the address off an Ingress whose class is not served', async () => {
    expect(
      (await k('patch', 'ingress', 'shop', '--type=merge', '-p', '{"spec":{"ingressClassName":"other"}}')).code,
    ).toBe(0);
    await eventually(async () => (await address('shop')) === '', 30_000, 'the address removed');
    // The status is written once the reload's new worker runs; the old one may take a last connection for a few
    // milliseconds after that (both accept on the listening socket they share until it stops).
    await eventually(
      async () => (await answer(cafe, 'https://shop.example.com/', '-k')).code === 404,
      10_000,
      'the shop host gone',
    );
  }, 60_000);
});
