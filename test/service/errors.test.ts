import t from 'tap';
import { Type } from '@sinclair/typebox';
import { ConflictError, NotAvailableError, NotFoundError, UsageError } from '../../src/core/errors.js';
import { harness, tokenOf } from './harness.js';

t.test('domain errors, validation and crashes map to HTTP in one place', async (t) => {
  const secret = 'sv=2024&sig=SECRET';
  const h = await harness(t, (app) => {
    const thrower = (err: Error) => async () => {
      throw err;
    };
    app.get('/test/usage', thrower(new UsageError('scenario must be named')));
    app.get('/test/not-found', thrower(new NotFoundError('no run r-42')));
    app.get('/test/conflict', thrower(new ConflictError('a run is already active')));
    app.get('/test/not-available', thrower(new NotAvailableError('the sync engine')));
    app.get('/test/crash', thrower(new Error(`connect failed with ${secret}`)));
    app.post(
      '/test/validated',
      { schema: { body: Type.Object({ reason: Type.String({ minLength: 3 }), confirm: Type.Literal(true) }) } },
      async () => ({ ok: true }),
    );
  });
  const get = (url: string) => h.app.inject({ method: 'GET', url });

  t.same([(await get('/test/usage')).statusCode, (await get('/test/usage')).json()], [400, { error: 'usage', message: 'scenario must be named' }]);
  t.same([(await get('/test/not-found')).statusCode, (await get('/test/not-found')).json()], [404, { error: 'not-found', message: 'no run r-42' }]);
  t.same([(await get('/test/conflict')).statusCode, (await get('/test/conflict')).json()], [409, { error: 'conflict', message: 'a run is already active' }]);
  const na = await get('/test/not-available');
  t.equal(na.statusCode, 501);
  t.same(na.json(), { error: 'not-available', message: 'the sync engine is not available in this version of drsentinel yet' });

  const crash = await get('/test/crash');
  t.equal(crash.statusCode, 500);
  t.equal(crash.json().error, 'internal');
  t.notMatch(crash.body, 'SECRET', 'the details stay in the log');

  const post = (payload: unknown) =>
    h.app.inject({ method: 'POST', url: '/test/validated', headers: { authorization: `Bearer ${tokenOf('operator')}` }, payload: payload as object });
  const missing = await post({ reason: 'drill' });
  t.equal(missing.statusCode, 400);
  t.equal(missing.json().error, 'bad-request');
  t.equal(missing.json().field, 'body/confirm', 'a missing field is named');
  const short = await post({ reason: 'x', confirm: true });
  t.equal(short.json().field, 'body/reason', 'an invalid field is named');
  const badJson = await h.app.inject({ method: 'POST', url: '/test/validated', headers: { authorization: `Bearer ${tokenOf('operator')}`, 'content-type': 'application/json' }, payload: '{' });
  t.equal(badJson.statusCode, 400);
  t.equal((await post({ reason: 'drill', confirm: true })).statusCode, 200);
});
