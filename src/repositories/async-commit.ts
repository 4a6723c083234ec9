/**
 * A condition that makes the statement's own (implicit) transaction commit without waiting for
 * its WAL flush: `set_config(..., true)` lasts until the end of the current transaction, and an
 * uncorrelated subquery runs once. The change is visible to every other transaction at once, as
 * any commit is; only its survival of a PostgreSQL crash waits for the WAL writer (a fraction of
 * a second), and the next synchronous commit, such as the sign-in that follows a counted guess,
 * flushes it first.
 *
 * Used for counting a guess: for a known identifier the count writes a row and an unknown one
 * writes nothing, so a synchronous commit would make wrong guesses at known identifiers wait for
 * a WAL flush that guesses at unknown ones never wait for, an oracle for who has an account
 * (S17, S18). The price: a PostgreSQL crash within that fraction of a second may forget a guess.
 */
export const ASYNC_COMMIT = `(SELECT set_config('synchronous_commit', 'off', true)) IS NOT NULL`;
