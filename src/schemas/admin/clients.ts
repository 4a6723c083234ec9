/** Schemas of `/admin/clients`: the fields of `npm run clients`, snake_case as on the wire. */
import { Type } from 'typebox';
import { NullableTimestamp, Page, PageQuery } from './common.ts';
import { ProblemReply } from '../passwordless.ts';

const Nullable = <T extends Parameters<typeof Type.Optional>[0]>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]));

export const ClientParams = Type.Object({ client_id: Type.String({ minLength: 1, maxLength: 64 }) });

export const ClientItem = Type.Object({
  client_id: Type.String(),
  name: Type.String(),
  allowed_origins: Type.Array(Type.String()),
  login_url: Type.Union([Type.String(), Type.Null()]),
  allowed_methods: Type.Array(Type.String()),
  audience: Type.String(),
  access_token_ttl: Type.Integer(),
  refresh_token_ttl: Type.Integer(),
  refresh_token_delivery: Type.Union([Type.Literal('body'), Type.Literal('cookie')]),
  email_from: Type.Union([Type.String(), Type.Null()]),
  /** True for DEFAULT_CLIENT_ID. */
  default: Type.Boolean(),
  /** False for the default client while every field is the environment's. */
  stored: Type.Boolean(),
  created_at: NullableTimestamp,
  updated_at: NullableTimestamp,
});

export const ClientPage = Page(ClientItem);
export const ClientListQuery = Type.Object({ ...PageQuery });

/** Absent: unchanged (PATCH) or the fallback (POST); null: back to the fallback. The service checks each value. */
const ClientFields = {
  name: Nullable(Type.String({ maxLength: 200 })),
  allowed_origins: Nullable(Type.Array(Type.String({ maxLength: 300 }), { maxItems: 100 })),
  login_url: Nullable(Type.String({ maxLength: 2048 })),
  allowed_methods: Nullable(Type.Array(Type.String({ maxLength: 16 }), { maxItems: 4 })),
  audience: Nullable(Type.String({ maxLength: 300 })),
  access_token_ttl: Nullable(Type.Integer()),
  refresh_token_ttl: Nullable(Type.Integer()),
  refresh_token_delivery: Nullable(Type.String({ maxLength: 16 })),
  email_from: Nullable(Type.String({ maxLength: 320 })),
};

export const CreateClientBody = Type.Object({ client_id: Type.String({ minLength: 1, maxLength: 64 }), ...ClientFields });
export const UpdateClientBody = Type.Object(ClientFields);

/** `400 invalid_client_settings`: the problem document with one entry per bad field. */
export const ClientSettingsProblemReply = Type.Intersect([ProblemReply, Type.Object({
  errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
})]);
