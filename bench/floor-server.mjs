/**
 * Bench-only: the floor server of bench/floor.ts. Plain JavaScript, run as its own process with
 * the same V8 flags as Sesame: Fastify answering POST /r with 202 after one INSERT (one commit,
 * a prepared statement, a pool of FLOOR_POOL_SIZE connections), or with nothing behind it
 * (FLOOR_MODE=none). No validation, hooks, logging, delivery or batching: what any service
 * that writes once per request pays on this machine.
 */
import Fastify from 'fastify';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.FLOOR_DATABASE_URL, max: Number(process.env.FLOOR_POOL_SIZE ?? 20) });
await pool.query('CREATE TABLE IF NOT EXISTS floor_rows (id bigserial PRIMARY KEY, email text NOT NULL, payload bytea NOT NULL, created_at timestamptz NOT NULL DEFAULT now())');
const insert = process.env.FLOOR_MODE !== 'none';
const payload = Buffer.alloc(200, 1);
const app = Fastify();
app.post('/r', async (request, reply) => {
  const { email } = request.body;
  if (insert) await pool.query({ name: 'floor_insert', text: 'INSERT INTO floor_rows (email, payload) VALUES ($1, $2)', values: [email, payload] });
  reply.code(202);
  return { ok: true };
});
await app.listen({ port: 0, host: '127.0.0.1' });
process.send({ port: app.server.address().port });
process.on('SIGTERM', () => { void app.close().then(() => pool.end()).then(() => process.exit(0)); });
