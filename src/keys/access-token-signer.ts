/** Signs RFC 9068 access tokens (S23, S24) with the current key. */
import { randomUUID, sign, type KeyObject } from 'node:crypto';
import type { JwtAlg } from '../config/index.ts';
import { lowSSignature } from './ecdsa-low-s.ts';
import type { Clock } from '../lib/clock.ts';
import type { AccessTokenResponse } from '../services/types.ts';
import type { KeyStore } from './key-store.ts';

export interface AccessTokenSubject {
  id: string;
  email: string | null;
  phoneNumber: string | null;
  /** The user's app_metadata (set through the admin API); a non-empty one becomes the `app_metadata` claim. */
  appMetadata?: Record<string, unknown>;
}

/** How and when the session's user authenticated: the `auth_time` and `amr` claims (RFC 8176). */
export interface Authentication {
  authTime: Date;
  amr: string[];
}

/** The client (application) a token is issued to: its `client_id` claim, its `aud` and its lifetime (S24). */
export interface TokenClient {
  tokenClientId: string;
  audience: string;
  accessTokenTtlSeconds: number;
}

/**
 * The custom-claims hook (S43), asked before every token is signed. `claimsFor` answers the
 * claims to add ({} when the hook failed and its failure mode is allow) or throws
 * `hook_unavailable`; `tooLarge` is told when the merged token would pass 8 KB, and throws or
 * returns (the token is then signed without the hook's claims) by the same rule.
 */
export interface CustomClaimsHook {
  claimsFor(input: { user: AccessTokenSubject; clientId: string; claims: Record<string, unknown> }): Promise<Record<string, unknown>>;
  tooLarge(): void;
}

/**
 * Claims a hook can never set: the registered ones, the session and client bindings, and the
 * authentication facts the recent-sign-in rule reads (S43, S45).
 */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set(['iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', 'client_id', 'sid', 'typ', 'scope', 'auth_time', 'amr']);

/** A token the hook's claims would make longer than this is not signed with them. */
export const MAX_HOOKED_TOKEN_BYTES = 8 * 1024;

export interface AccessTokenSigner {
  /**
   * Signs a token for the user; `sessionId` becomes the `sid` claim (logout ends that session),
   * and the session's authentication becomes `auth_time` and `amr`, refreshes included.
   * `client` gives `client_id`, `aud` and the lifetime; without it, the default client's.
   */
  issue(user: AccessTokenSubject, sessionId: string, authentication: Authentication, client?: TokenClient): Promise<AccessTokenResponse>;
}

export function createAccessTokenSigner(deps: {
  keys: Pick<KeyStore, 'signingKey'>;
  clock: Clock;
  issuer: string;
  /** The default client's claims and lifetime (read per token: a reload may change them). */
  defaultClient: () => TokenClient;
  /** HOOK_CUSTOM_CLAIMS_URL, when set. */
  customClaims?: CustomClaimsHook;
}): AccessTokenSigner {
  return {
    async issue(user, sessionId, authentication, client = deps.defaultClient()) {
      // Read per token: the key store swaps the current key when a rotation is promoted.
      const key = deps.keys.signingKey();
      const iat = Math.floor(deps.clock.now().getTime() / 1000);
      const claims: Record<string, unknown> = {
        client_id: client.tokenClientId,
        sid: sessionId,
        auth_time: Math.floor(authentication.authTime.getTime() / 1000),
        amr: authentication.amr,
      };
      if (user.email !== null) claims.email = user.email;
      if (user.phoneNumber !== null) claims.phone_number = user.phoneNumber;
      // Roles, tenant and the like for sibling services; left out when empty, so tokens of
      // users without it are unchanged.
      if (user.appMetadata !== undefined && Object.keys(user.appMetadata).length > 0) claims.app_metadata = user.appMetadata;
      // The registered claims last, so nothing above can override them (S24).
      Object.assign(claims, { iss: deps.issuer, sub: user.id, aud: client.audience, iat, exp: iat + client.accessTokenTtlSeconds, jti: randomUUID() });
      const header = { alg: key.alg, kid: key.kid, typ: 'at+jwt' };
      let accessToken: string | undefined;
      if (deps.customClaims !== undefined) {
        const extra = await deps.customClaims.claimsFor({ user, clientId: client.tokenClientId, claims: { ...claims } });
        const merged: Record<string, unknown> = { ...claims };
        let added = 0;
        for (const [name, value] of Object.entries(extra)) {
          if (RESERVED_CLAIMS.has(name) || name === '__proto__' || value === undefined) continue;
          merged[name] = value;
          added++;
        }
        if (added > 0) {
          const hooked = signCompactJws(header, merged, key.privateKey);
          if (hooked.length < MAX_HOOKED_TOKEN_BYTES) accessToken = hooked;
          else deps.customClaims.tooLarge();
        }
      }
      accessToken ??= signCompactJws(header, claims, key.privateKey);
      return { access_token: accessToken, token_type: 'Bearer', expires_in: client.accessTokenTtlSeconds };
    },
  };
}

/**
 * A compact JWS (RFC 7515 §7.1) signed with node:crypto in one synchronous call. jose, which
 * verifies every token (access-token-verifier.ts, the sibling recipe), signs through WebCrypto,
 * whose asynchronous job costs about four times the CPU of the signature itself (212 against
 * 57 µs per ES256 token, measured side by side); the bytes are the same JWS either way, and the
 * tests verify what this signs with jose. ES256 signatures are IEEE P1363 (r || s) with a low S
 * (ecdsa-low-s.ts: one accepted spelling per token); RS256 is PKCS #1 v1.5 with SHA-256; EdDSA
 * is Ed25519.
 */
export function signCompactJws(header: { alg: JwtAlg; kid: string; typ: string }, claims: Record<string, unknown>, privateKey: KeyObject): string {
  const signingInput = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const data = Buffer.from(signingInput);
  let signature: Buffer;
  switch (header.alg) {
    case 'ES256':
      signature = lowSSignature(sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
      break;
    case 'RS256':
      signature = sign('sha256', data, privateKey);
      break;
    case 'EdDSA':
      signature = sign(null, data, privateKey);
      break;
  }
  return `${signingInput}.${signature.toString('base64url')}`;
}
