/** Shapes shared by services, repositories and delivery; no framework types here. */

/** How a code reaches a person: the seeds' method names. */
export type Channel = 'email' | 'mobile';

/** The subset of pino's interface that services use, so tests can pass a recorder. */
export interface Logger {
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
}

export interface AccessTokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

/** What a sign-in or a refresh answers: an access token and the session's next refresh token. */
export interface TokenResponse extends AccessTokenResponse {
  refresh_token: string;
}

/** A sign-in's or refresh's tokens, with the seconds left until the session's absolute end (a refresh cookie's Max-Age). */
export interface IssuedTokens extends TokenResponse {
  refreshTokenExpiresIn: number;
}

/** Who is asking, as far as the HTTP layer can tell; for audit, sessions and message language. */
export interface RequestContext {
  /** Client IP, taken from X-Forwarded-For only across trusted proxies (S20). */
  ip: string;
  userAgent: string | undefined;
  /** The raw Accept-Language header, when sent. */
  acceptLanguage: string | undefined;
  /** The message language the request body asked for, when it did. */
  locale?: string | undefined;
}
