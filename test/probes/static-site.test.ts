import { Readable } from 'node:stream';
import t from 'tap';
import { staticSiteCheck } from '../../probes/static-site.js';
import { runCheck } from '../../src/core/result.js';
import { buildAdapters } from '../../src/adapters/index.js';
import { blobAlone } from '../helpers/azure-twin.js';

t.test('index.html removed from $web fails naming the 404; restored, it passes', async (t) => {
  const { config, env, websiteUrl } = await blobAlone(t, { website: true });
  const adapters = buildAdapters(config, env);
  t.teardown(() => adapters.close());
  const site = adapters.objects.azureSite;
  const page = Buffer.from('<!doctype html><title>demo</title>');
  const publish = () => site.put('index.html', Readable.from([page]), { size: page.length, contentType: 'text/html' });
  const check = staticSiteCheck({ websiteUrl });
  const run = () => runCheck(check, { now: () => new Date() }, 10_000);
  const url = new URL('index.html', `${websiteUrl.replace(/\/?$/, '/')}`).toString();

  await publish();
  const ok = await run();
  t.equal(ok.status, 'pass', ok.reason);
  t.equal(ok.reason, `the static website answers 200 OK for ${url} (${page.length} bytes)`);
  t.match(ok.measurements, { status: 200, bytes: page.length });

  await site.delete('index.html');
  const broken = await run();
  t.equal(broken.status, 'fail');
  t.equal(broken.reason, `the static website answers 404 Not Found for ${url}`);
  t.match(broken.evidence, { url, status: 404 });

  await publish();
  t.equal((await run()).status, 'pass', 'repaired');
});
