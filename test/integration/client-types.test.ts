// The typed browser client's generated part (clients/js/openapi.json and src/schema.ts) must be
// what openapi-typescript makes of the document the app serves now: a route, a field or an error
// code added without `npm run client:types` fails here.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientTypes, committed, documentText } from '../../tools/client-types.ts';
import { suiteScope, withDatabase, withTestApp } from '../helpers/fixtures.ts';

describe('typed client', () => {
  const suite = suiteScope();

  it('has generated types that match the OpenAPI document the app serves (run npm run client:types when this fails)', async () => {
    const db = await withDatabase(suite);
    const sesame = await withTestApp(suite, { db });
    const document = await (await fetch(`${sesame.url}/openapi.json`)).json();
    const files = committed();
    assert.equal(files.document, documentText(document), 'clients/js/openapi.json is stale: run npm run client:types');
    assert.equal(files.types, await clientTypes(document), 'clients/js/src/schema.ts is stale: run npm run client:types');
  });
});
