// The outbound HTTP client's request forgery rules (S42): https only, private addresses refused
// at send time (a name resolving to one included), the checked address pinned, no redirects.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  checkOutboundUrl, createOutboundHttp, isLoopbackAddress, isPublicAddress, isTransientOutboundFailure,
  OutboundRefusedError, OutboundTimeoutError, type Resolver,
} from '../../src/delivery/outbound-http.ts';

function refused(reason: string) {
  return (error: unknown) => error instanceof OutboundRefusedError && error.reason === reason;
}

describe('address ranges', () => {
  it('refuses private, loopback, link-local, CGNAT, metadata, unique-local and reserved addresses', () => {
    for (const address of [
      '10.0.0.1', '172.16.5.4', '192.168.1.1', '127.0.0.1', '127.9.9.9', '169.254.169.254', '100.64.0.1', '0.0.0.0',
      '224.0.0.1', '255.255.255.255', '198.18.0.1', '::1', '::', 'fe80::1', 'fd00::1', 'fd00:ec2::254', 'fc00::2',
      '::ffff:10.0.0.1', '::ffff:7f00:1', '::ffff:169.254.169.254', '64:ff9b::a00:1', 'ff02::1', 'not-an-ip',
    ]) assert.equal(isPublicAddress(address), false, address);
  });

  it('accepts public addresses', () => {
    for (const address of ['93.184.215.14', '1.1.1.1', '8.8.8.8', '2606:4700:4700::1111', '::ffff:1.1.1.1']) {
      assert.equal(isPublicAddress(address), true, address);
    }
  });

  it('knows loopback', () => {
    assert.equal(isLoopbackAddress('127.0.0.1'), true);
    assert.equal(isLoopbackAddress('::1'), true);
    assert.equal(isLoopbackAddress('10.0.0.1'), false);
  });
});

describe('URL rules', () => {
  const strict = { allowPrivateNetworks: false };
  const open = { allowPrivateNetworks: true };

  it('accepts https URLs', () => {
    assert.equal(checkOutboundUrl('https://hooks.example.com/sesame', strict).hostname, 'hooks.example.com');
  });

  it('refuses http unless private networks are allowed, and then only to loopback', () => {
    assert.throws(() => checkOutboundUrl('http://hooks.example.com/', strict), refused('scheme_not_allowed'));
    assert.throws(() => checkOutboundUrl('http://127.0.0.1:8080/', strict), refused('scheme_not_allowed'));
    assert.equal(checkOutboundUrl('http://127.0.0.1:8080/', open).port, '8080');
    assert.equal(checkOutboundUrl('http://localhost:8080/', open).hostname, 'localhost');
    assert.equal(checkOutboundUrl('http://[::1]:8080/', open).hostname, '[::1]');
    assert.throws(() => checkOutboundUrl('http://hooks.example.com/', open), refused('scheme_not_allowed'));
    assert.throws(() => checkOutboundUrl('http://10.0.0.1/', open), refused('scheme_not_allowed'));
  });

  it('refuses other schemes, credentials in the URL and garbage', () => {
    for (const url of ['ftp://example.com/', 'file:///etc/passwd', 'gopher://example.com/', 'javascript:alert(1)']) {
      assert.throws(() => checkOutboundUrl(url, open), refused('scheme_not_allowed'), url);
    }
    assert.throws(() => checkOutboundUrl('https://user:pass@example.com/', strict), refused('credentials_in_url'));
    assert.throws(() => checkOutboundUrl('not a url', strict), refused('invalid_url'));
  });
});

describe('sending', () => {
  let server: http.Server;
  let port: number;
  const received: { url: string; host: string; body: string }[] = [];
  let answer: (req: http.IncomingMessage, res: http.ServerResponse) => void = (_req, res) => { res.writeHead(200).end('{"ok":true}'); };

  before(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => { body += chunk.toString(); });
      req.on('end', () => {
        received.push({ url: req.url ?? '', host: req.headers.host ?? '', body });
        answer(req, res);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  after(() => { server.closeAllConnections(); server.close(); });

  it('posts the body and returns the status, the answer and the duration', async () => {
    const client = createOutboundHttp({ allowPrivateNetworks: true });
    const response = await client.post(`http://127.0.0.1:${port}/hook`, { body: '{"a":1}', headers: { 'webhook-id': 'msg_1' }, timeoutMs: 2_000 });
    assert.equal(response.status, 200);
    assert.equal(response.body, '{"ok":true}');
    assert.ok(response.durationMs >= 0);
    assert.deepEqual(received.at(-1), { url: '/hook', host: `127.0.0.1:${port}`, body: '{"a":1}' });
  });

  it('refuses a host name that resolves to a private address, before connecting', async () => {
    const count = received.length;
    const resolve: Resolver = async () => [{ address: '10.1.2.3', family: 4 }];
    const client = createOutboundHttp({ allowPrivateNetworks: false, resolve });
    await assert.rejects(client.post('https://hooks.example.com/', { body: '{}', headers: {}, timeoutMs: 2_000 }), refused('private_address'));
    const metadata = createOutboundHttp({ allowPrivateNetworks: false, resolve: async () => [{ address: '169.254.169.254', family: 4 }] });
    await assert.rejects(metadata.post('https://metadata.example.com/', { body: '{}', headers: {}, timeoutMs: 2_000 }), refused('private_address'));
    const mixed = createOutboundHttp({ allowPrivateNetworks: false, resolve: async () => [{ address: '1.1.1.1', family: 4 }, { address: 'fd00::1', family: 6 }] });
    await assert.rejects(mixed.post('https://mixed.example.com/', { body: '{}', headers: {}, timeoutMs: 2_000 }), refused('private_address'));
    assert.equal(received.length, count);
  });

  it('refuses localhost through the system resolver, and private literals, unless private networks are allowed', async () => {
    const client = createOutboundHttp({ allowPrivateNetworks: false });
    await assert.rejects(client.post(`https://localhost:${port}/`, { body: '{}', headers: {}, timeoutMs: 2_000 }), refused('private_address'));
    await assert.rejects(client.post('https://169.254.169.254/latest/meta-data/', { body: '{}', headers: {}, timeoutMs: 2_000 }), refused('private_address'));
    await assert.rejects(client.post('https://[fd00::1]/', { body: '{}', headers: {}, timeoutMs: 2_000 }), refused('private_address'));
  });

  it('connects to the address it checked, once resolved (DNS rebinding cannot swap it)', async () => {
    const answers = [[{ address: '127.0.0.1', family: 4 }], [{ address: '10.9.9.9', family: 4 }]];
    let calls = 0;
    const resolve: Resolver = async () => answers[Math.min(calls++, 1)]!;
    const client = createOutboundHttp({ allowPrivateNetworks: true, resolve });
    const response = await client.post(`http://receiver.localhost:${port}/pinned`, { body: '{}', headers: {}, timeoutMs: 2_000 });
    assert.equal(response.status, 200);
    assert.equal(calls, 1);
    assert.deepEqual(received.at(-1), { url: '/pinned', host: `receiver.localhost:${port}`, body: '{}' });
  });

  it('does not follow redirects', async () => {
    answer = (_req, res) => { res.writeHead(302, { location: 'http://169.254.169.254/' }).end(); };
    const client = createOutboundHttp({ allowPrivateNetworks: true });
    const count = received.length;
    const response = await client.post(`http://127.0.0.1:${port}/redirect`, { body: '{}', headers: {}, timeoutMs: 2_000 });
    assert.equal(response.status, 302);
    assert.equal(received.length, count + 1);
    assert.equal(isTransientOutboundFailure({ status: 302 }), false);
  });

  it('times out a receiver that never answers, and says so', async () => {
    answer = () => { /* never answers */ };
    const client = createOutboundHttp({ allowPrivateNetworks: true });
    const started = Date.now();
    await assert.rejects(client.post(`http://127.0.0.1:${port}/slow`, { body: '{}', headers: {}, timeoutMs: 200 }), OutboundTimeoutError);
    assert.ok(Date.now() - started < 1_500);
    assert.equal(isTransientOutboundFailure({ error: new OutboundTimeoutError() }), true);
  });

  it('gives up when the caller\'s signal aborts, with the caller\'s reason rather than a timeout of its own', async () => {
    answer = () => { /* never answers */ };
    const client = createOutboundHttp({ allowPrivateNetworks: true });
    const caller = new AbortController();
    const reason = new DOMException('lease lost', 'AbortError');
    setTimeout(() => caller.abort(reason), 100);
    const started = Date.now();
    await assert.rejects(client.post(`http://127.0.0.1:${port}/slow`, { body: '{}', headers: {}, timeoutMs: 5_000, signal: caller.signal }), (error) => error === reason);
    assert.ok(Date.now() - started < 1_500);
  });

  it('stops reading an answer past the size limit', async () => {
    answer = (_req, res) => { res.writeHead(200).end('x'.repeat(10_000)); };
    const client = createOutboundHttp({ allowPrivateNetworks: true });
    await assert.rejects(client.post(`http://127.0.0.1:${port}/big`, { body: '{}', headers: {}, timeoutMs: 2_000, maxResponseBytes: 1_000 }), { name: 'ResponseTooLarge' });
  });

  it('classes 429 and 5xx as transient, other answers and refusals as permanent', () => {
    assert.equal(isTransientOutboundFailure({ status: 429 }), true);
    assert.equal(isTransientOutboundFailure({ status: 503 }), true);
    assert.equal(isTransientOutboundFailure({ status: 400 }), false);
    assert.equal(isTransientOutboundFailure({ error: new OutboundRefusedError('private_address') }), false);
    assert.equal(isTransientOutboundFailure({ error: new Error('ECONNREFUSED') }), true);
  });
});
