// A sibling service that trusts Sesame's access tokens: a tiny Node HTTP server verifying
// `Authorization: Bearer` with jose against Sesame's JWKS. Everything that matters is pinned:
// the algorithms, the issuer, the audience, the `typ` header, and at most 60 s of clock skew.
//
//   SESAME_ISSUER=https://auth.example.com SESAME_AUDIENCE=my-api node server.mjs
//
// Settings (environment):
//   SESAME_ISSUER       required; must equal Sesame's JWT_ISSUER
//   SESAME_AUDIENCE     required; must equal Sesame's JWT_AUDIENCE
//   SESAME_JWKS_URL     default: jwks_uri from <issuer>/.well-known/openid-configuration
//   SESAME_ALGORITHMS   default ES256 (comma-separated; Sesame's JWT_ALG)
//   SESAME_JWKS_MAX_AGE seconds the key set is cached, default 300 (Sesame's JWKS_MAX_AGE)
//   PORT, HOST          default 4000, 127.0.0.1
import { createServer } from 'node:http';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const issuer = required('SESAME_ISSUER');
const audience = required('SESAME_AUDIENCE');
const algorithms = (process.env.SESAME_ALGORITHMS ?? 'ES256').split(',').map((alg) => alg.trim());
const jwksUrl = process.env.SESAME_JWKS_URL ?? (await discoverJwksUri(issuer));
const jwks = createRemoteJWKSet(new URL(jwksUrl), {
  cacheMaxAge: Number(process.env.SESAME_JWKS_MAX_AGE ?? 300) * 1000,
  // An unknown kid refetches the set at most this often.
  cooldownDuration: 30_000,
});

/** The verified claims of the request's bearer token, or null. */
async function authenticate(request) {
  const match = /^Bearer +([A-Za-z0-9._~+/=-]+) *$/i.exec(request.headers.authorization ?? '');
  if (!match) return null;
  try {
    const { payload } = await jwtVerify(match[1], jwks, { algorithms, issuer, audience, typ: 'at+jwt', clockTolerance: 60 });
    return payload;
  } catch {
    return null;
  }
}

const server = createServer(async (request, response) => {
  if (request.method === 'GET' && request.url === '/hello') {
    const claims = await authenticate(request);
    if (claims === null) {
      response.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"', 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: 'invalid_token' }));
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    response.end(JSON.stringify({ hello: claims.sub, session: claims.sid ?? null }));
    return;
  }
  response.writeHead(404, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ error: 'not_found' }));
});

server.listen(Number(process.env.PORT ?? 4000), process.env.HOST ?? '127.0.0.1', () => {
  const { address, port } = server.address();
  console.log(`sibling service listening on http://${address}:${port}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
  });
}

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is required`);
    process.exit(1);
  }
  return value;
}

/** OIDC discovery: the issuer says where its keys are. */
async function discoverJwksUri(base) {
  const response = await fetch(`${base.replace(/\/+$/, '')}/.well-known/openid-configuration`);
  if (!response.ok) throw new Error(`discovery failed: HTTP ${response.status}`);
  const { jwks_uri: uri } = await response.json();
  return uri;
}
