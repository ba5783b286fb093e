import t from 'tap';
import { harness, tokenOf } from './harness.js';

/** A test-only route: it exercises the guard, not a feature. */
async function guarded(t: Parameters<typeof harness>[0]) {
  return harness(t, (app) => {
    app.post('/test/guarded', { config: { roles: ['tech-lead', 'cto'] } }, async (request) => ({ principal: request.principal }));
    app.post('/test/any-token', async (request) => ({ principal: request.principal }));
    app.get('/test/audit-like', { config: { auth: true } }, async (request) => ({ principal: request.principal }));
  });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

t.test('a POST without a token is 401 with a Bearer challenge', async (t) => {
  const { app } = await guarded(t);
  for (const url of ['/test/guarded', '/test/any-token']) {
    const res = await app.inject({ method: 'POST', url });
    t.equal(res.statusCode, 401, url);
    t.equal(res.headers['www-authenticate'], 'Bearer realm="drsentinel"');
    t.same(res.json(), { error: 'unauthorized', message: 'this action needs a bearer token: send "Authorization: Bearer <token>"' });
  }
  const basic = await app.inject({ method: 'POST', url: '/test/any-token', headers: { authorization: 'Basic dXNlcjpwdw==' } });
  t.equal(basic.statusCode, 401, 'another scheme is no bearer token');
});

t.test('a wrong token is 401 and is never echoed', async (t) => {
  const { app } = await guarded(t);
  const res = await app.inject({ method: 'POST', url: '/test/guarded', headers: bearer('cto-token-but-wrong') });
  t.equal(res.statusCode, 401);
  t.equal(res.headers['www-authenticate'], 'Bearer realm="drsentinel", error="invalid_token"');
  t.same(res.json(), { error: 'unauthorized', message: 'the bearer token is not valid' });
  t.notMatch(res.body, 'cto-token-but-wrong');
});

t.test('a valid token with the wrong role is 403 naming the roles', async (t) => {
  const { app } = await guarded(t);
  const res = await app.inject({ method: 'POST', url: '/test/guarded', headers: bearer(tokenOf('viewer')) });
  t.equal(res.statusCode, 403);
  t.same(res.json(), { error: 'forbidden', message: 'this action needs the role tech-lead or cto; your token has viewer' });
});

t.test('a token with one of the roles passes, and the route sees its principal', async (t) => {
  const { app } = await guarded(t);
  for (const role of ['tech-lead', 'cto']) {
    const res = await app.inject({ method: 'POST', url: '/test/guarded', headers: bearer(tokenOf(role)) });
    t.equal(res.statusCode, 200, role);
    t.same(res.json(), { principal: { name: `${role}-holder`, roles: [role] } });
  }
  const any = await app.inject({ method: 'POST', url: '/test/any-token', headers: { authorization: `bearer  ${tokenOf('viewer')} ` } });
  t.equal(any.statusCode, 200, 'a POST without declared roles takes any valid token; the scheme is case-insensitive');
});

t.test('GETs are open, except those that ask for a token', async (t) => {
  const { app } = await guarded(t);
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/readiness' })).statusCode, 200);
  t.equal((await app.inject({ method: 'GET', url: '/test/audit-like' })).statusCode, 401);
  const ok = await app.inject({ method: 'GET', url: '/test/audit-like', headers: bearer(tokenOf('viewer')) });
  t.equal(ok.statusCode, 200);
  t.same(ok.json(), { principal: { name: 'viewer-holder', roles: ['viewer'] } });
});
