// Port forwarding through @kubernetes/client-node (WebSocket, v4.channel.k8s.io, `?ports=`):
// a local server hands each connection to PortForward, then one HTTP GET goes through it.
// Prints one JSON line with the body; exits non-zero on failure.
import * as k8s from '@kubernetes/client-node';
import { get } from 'node:http';
import { createServer } from 'node:net';

const [kubeconfig, ns, pod, port] = process.argv.slice(2);
const kc = new k8s.KubeConfig();
kc.loadFromFile(kubeconfig);
const forward = new k8s.PortForward(kc);

const server = createServer((socket) => {
  forward.portForward(ns, pod, [Number(port)], socket, null, socket).catch((err) => socket.destroy(err));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const body = await new Promise((resolve, reject) => {
  get({ host: '127.0.0.1', port: server.address().port, path: '/index.html', agent: false }, (res) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (c) => (text += c));
    res.on('end', () => resolve(text));
  }).on('error', reject);
});
console.log(JSON.stringify({ body }));
server.close();
process.exit(0);
