/**
 * Named parameters for the pool's hand-written statements: the SQL says `:throttle_key`, not
 * `$1`, and the call passes `{ throttle_key }`, so swapping two values of the same type cannot
 * silently change a rule. Each statement is compiled to positional parameters once, at module
 * load; a call only lines the values up, checking that every name is given and none is extra.
 * A named statement is still prepared once per connection by node-postgres.
 */
import type pg from 'pg';

/** `:name`, but not the second colon of a `::type` cast and not inside a longer word. */
const PARAMETER = /(?<![:\w]):([a-z_][a-z0-9_]*)/g;

export interface Statement<Params extends object> {
  /** The prepared statement's name (also used in errors). */
  readonly name: string;
  /** Prepared once per connection (default), or sent unnamed and planned at every call. */
  readonly prepared: boolean;
  /** The compiled text, with $1, $2, ... in place of the names (after a comment naming it when planned per call). */
  readonly text: string;
  /** The parameter names in positional order. */
  readonly parameters: readonly string[];
  /** The query for node-postgres with these values; throws on a missing or unknown name. */
  bind(params: Params): pg.QueryConfig<unknown[]>;
}

/** Compiles a statement with `:named` parameters. A name used twice is one parameter. */
export function statement<Params extends object>(name: string, namedText: string, options: { prepared?: boolean } = {}): Statement<Params> {
  const prepared = options.prepared ?? true;
  const parameters: string[] = [];
  let text = namedText.replace(PARAMETER, (_match, parameter: string) => {
    let index = parameters.indexOf(parameter);
    if (index < 0) index = parameters.push(parameter) - 1;
    return `$${index + 1}`;
  });
  if (/\$\d/.test(namedText)) throw new Error(`${name}: use :named parameters, not $n`);
  const known = new Set(parameters);
  // A statement planned per call has no name on the wire; its name travels as a leading comment,
  // so PostgreSQL's logs and the bench can still tell it apart.
  if (!prepared) text = `/* ${name} */ ${text.trimStart()}`;
  return {
    name,
    prepared,
    text,
    parameters,
    bind(params) {
      const values = params as Record<string, unknown>;
      const given = Object.keys(values);
      if (given.length !== parameters.length || !given.every((key) => known.has(key))) {
        const missing = parameters.filter((parameter) => !(parameter in values)).map((parameter) => `missing :${parameter}`);
        const unknown = given.filter((key) => !known.has(key)).map((key) => `unknown :${key}`);
        throw new Error(`${name}: ${[...missing, ...unknown].join(', ')}`);
      }
      const ordered = parameters.map((parameter) => values[parameter]);
      return prepared ? { name, text, values: ordered } : { text, values: ordered };
    },
  };
}

/**
 * Runs `work` in a transaction on one connection of the pool: commits when it resolves, rolls
 * back when it throws. For the few multi-statement writes; single statements need none.
 */
export async function transaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let result: T;
  try {
    await client.query('BEGIN');
    result = await work(client);
    await client.query('COMMIT');
  } catch (error) {
    // A connection that cannot even roll back is discarded rather than returned to the pool.
    const broken = await client.query('ROLLBACK').then(() => undefined, (rollbackError: Error) => rollbackError);
    client.release(broken);
    throw error;
  }
  client.release();
  return result;
}

/**
 * A batch the database refused for what one of its rows holds: a data exception (SQLSTATE class
 * 22, such as a NUL in a text) or a constraint (class 23). Timeouts, cancellations and lost
 * connections are not: they fail the batch as a whole (statement-batcher.ts).
 */
export function isInputError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}
