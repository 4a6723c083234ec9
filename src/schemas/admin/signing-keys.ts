/** Schemas of `GET /admin/keys` and `POST /admin/keys/rotate`. */
import { Type } from 'typebox';
import { NullableTimestamp, Timestamp } from './common.ts';

export const SigningKeyItem = Type.Object({
  kid: Type.String(),
  alg: Type.String(),
  state: Type.Union([Type.Literal('current'), Type.Literal('next'), Type.Literal('retired')]),
  created_at: Timestamp,
  activated_at: NullableTimestamp,
  retired_at: NullableTimestamp,
});

export const SigningKeysReply = Type.Object({ data: Type.Array(SigningKeyItem) });

export const RotationReply = Type.Object({
  /** The kid created as the next key, when one was. */
  created: Type.Union([Type.String(), Type.Null()]),
  /** The kid promoted to current, when one was. */
  promoted: Type.Union([Type.String(), Type.Null()]),
  /** Retired kids removed, past their retention. */
  removed: Type.Array(Type.String()),
  /** When the waiting next key may be promoted, if one is waiting. */
  promotable_at: NullableTimestamp,
  keys: Type.Array(SigningKeyItem),
});
