/**
 * A software WebAuthn authenticator built on node:crypto, for server-side tests: ES256 keys,
 * "none" attestation, assertions with a chosen signature counter and flags. It produces the
 * JSON a browser's PublicKeyCredential.toJSON() would, so the server verifies it for real.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;

export interface SoftAuthenticatorOptions {
  rpId: string;
  origin: string;
  /** Backup eligible and backed up: a synced (multi-device) passkey. */
  synced?: boolean;
  userVerified?: boolean;
}

export interface CredentialJson {
  id: string;
  rawId: string;
  type: 'public-key';
  response: Record<string, unknown>;
  clientExtensionResults: Record<string, unknown>;
  authenticatorAttachment: 'platform';
}

export class SoftAuthenticator {
  readonly credentialId = randomBytes(16);
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  private userHandle: string | undefined;
  counter = 0;

  constructor(private readonly options: SoftAuthenticatorOptions) {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = pair.privateKey;
    this.publicKey = pair.publicKey;
  }

  get id(): string {
    return this.credentialId.toString('base64url');
  }

  /** Answers creation options (as the server sent them) with a "none" attestation. */
  create(creation: { challenge: string; user: { id: string } }, overrides: { origin?: string; type?: string } = {}): CredentialJson {
    this.userHandle = creation.user.id;
    const jwk = this.publicKey.export({ format: 'jwk' });
    const cose = new Map<number, unknown>([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x!, 'base64url')], [-3, Buffer.from(jwk.y!, 'base64url')]]);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.credentialId.length);
    const attested = Buffer.concat([Buffer.alloc(16), idLength, this.credentialId, cbor(cose)]);
    const authData = Buffer.concat([this.authDataHead(FLAG_AT), attested]);
    const clientData = this.clientData(overrides.type ?? 'webauthn.create', creation.challenge, overrides.origin);
    return this.credential({
      clientDataJSON: clientData.toString('base64url'),
      attestationObject: cbor(new Map<string, unknown>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]])).toString('base64url'),
      transports: ['internal'],
    });
  }

  /** Signs an assertion for request options, with the next counter unless one is given. */
  get(request: { challenge: string }, overrides: { counter?: number; origin?: string; type?: string; userHandle?: string } = {}): CredentialJson {
    this.counter = overrides.counter ?? this.counter + 1;
    const authData = this.authDataHead(0);
    const clientData = this.clientData(overrides.type ?? 'webauthn.get', request.challenge, overrides.origin);
    const signature = sign('sha256', Buffer.concat([authData, createHash('sha256').update(clientData).digest()]), this.privateKey);
    return this.credential({
      clientDataJSON: clientData.toString('base64url'),
      authenticatorData: authData.toString('base64url'),
      signature: signature.toString('base64url'),
      userHandle: overrides.userHandle ?? this.userHandle,
    });
  }

  private authDataHead(extraFlags: number): Buffer {
    let flags = FLAG_UP | extraFlags;
    if (this.options.userVerified ?? true) flags |= FLAG_UV;
    if (this.options.synced) flags |= FLAG_BE | FLAG_BS;
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(this.counter);
    return Buffer.concat([createHash('sha256').update(this.options.rpId).digest(), Buffer.from([flags]), counter]);
  }

  private clientData(type: string, challenge: string, origin?: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin: origin ?? this.options.origin, crossOrigin: false }));
  }

  private credential(response: Record<string, unknown>): CredentialJson {
    return { id: this.id, rawId: this.id, type: 'public-key', response, clientExtensionResults: {}, authenticatorAttachment: 'platform' };
  }
}

/** The CBOR subset WebAuthn needs: integers, byte and text strings, maps. */
function cbor(value: unknown): Buffer {
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([head(3, bytes.length), bytes]);
  }
  if (Buffer.isBuffer(value)) return Buffer.concat([head(2, value.length), value]);
  if (value instanceof Map) return Buffer.concat([head(5, value.size), ...[...value].flatMap(([key, item]) => [cbor(key), cbor(item)])]);
  throw new Error(`cannot encode ${typeof value}`);
}

function head(major: number, length: number): Buffer {
  if (length < 24) return Buffer.from([(major << 5) | length]);
  if (length < 0x100) return Buffer.from([(major << 5) | 24, length]);
  const bytes = Buffer.alloc(3);
  bytes[0] = (major << 5) | 25;
  bytes.writeUInt16BE(length, 1);
  return bytes;
}
