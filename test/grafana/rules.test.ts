import t from 'tap';
import { fileURLToPath } from 'node:url';
import { promtool } from './promtool.js';

const cwd = fileURLToPath(new URL('../../grafana/rules/', import.meta.url));

t.test('promtool accepts the alerting rules', async (t) => {
  const { status, output } = promtool(['check', 'rules', 'drsentinel.rules.yml'], { cwd });
  t.equal(status, 0, output);
  t.match(output, /SUCCESS: 7 rules found/);
});

t.test('promtool rule unit tests pass', async (t) => {
  const { status, output } = promtool(['test', 'rules', 'drsentinel.rules.test.yml'], { cwd });
  t.equal(status, 0, output);
  t.match(output, /SUCCESS/);
});
