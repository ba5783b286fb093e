import t from 'tap';
import { harness } from './harness.js';

t.test('the OpenAPI document lists the routes and declares bearer auth where the guard asks for it', async (t) => {
  const h = await harness(t, (app) => {
    app.post('/test/guarded', { config: { roles: ['cto'] } }, async () => ({}));
  });
  const ui = await h.app.inject({ method: 'GET', url: '/docs' });
  t.equal(ui.statusCode, 200, 'the UI answers without a token');
  t.match(ui.headers['content-type'], /html/);
  t.match(ui.body, /swagger/i);

  const spec = (await h.app.inject({ method: 'GET', url: '/docs/json' })).json();
  t.equal(spec.openapi, '3.0.3');
  t.same(spec.components.securitySchemes.bearer, { type: 'http', scheme: 'bearer', description: 'a token from config auth.tokens; its roles decide what it may do' });
  t.ok(spec.paths['/health'].get, '/health documented');
  t.ok(spec.paths['/metrics'].get, '/metrics documented');
  const readiness = spec.paths['/api/v1/readiness'].get;
  t.same(readiness.security, undefined, 'reading readiness needs no token');
  t.same(Object.keys(readiness.responses['200'].content['application/json'].schema.properties),
    ['verdict', 'score', 'reasons', 'checks', 'rpo', 'estimatedRtoSeconds', 'rtoTargetSeconds', 'contingency', 'generatedAt']);
  t.same(spec.paths['/test/guarded'].post.security, [{ bearer: [] }]);
});
