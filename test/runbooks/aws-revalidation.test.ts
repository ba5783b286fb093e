import t from 'tap';
import { startAlbTwin } from '../../lab/aws/alb.js';
import { awsRevalidation } from '../../src/runbooks/rollback.js';

t.test('R13.3: AWS is re-validated on its health URL and critical endpoints, each failure named', async (t) => {
  const alb = await startAlbTwin({ host: '127.0.0.1' });
  t.teardown(() => alb.close());
  const signal = () => AbortSignal.timeout(10_000);

  const ok = await awsRevalidation(alb.healthUrls, signal());
  t.equal(ok.status, 'pass', ok.reason);
  t.equal(ok.reason, 'AWS answers 200 on 2 endpoint(s)');

  alb.setHealthy(false);
  const down = await awsRevalidation(alb.healthUrls, signal());
  t.equal(down.status, 'fail');
  t.equal(down.reason, `${alb.url}/health answered 503; ${alb.url}/api/status answered 503`);

  alb.setHealthy(true);
  t.match((await awsRevalidation([`${alb.url}/missing`], signal())).reason, `${alb.url}/missing answered 404`);
  t.equal((await awsRevalidation([], signal())).reason, 'no AWS endpoint to re-validate: set activation.awsHealthUrls');
  await alb.close();
  t.match((await awsRevalidation(alb.healthUrls, signal())).reason, `${alb.url}/health did not answer`);
});
