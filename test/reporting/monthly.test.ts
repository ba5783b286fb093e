import t from 'tap';
import type { Message, Notifier } from '../../src/core/ports.js';
import { UsageError } from '../../src/core/errors.js';
import { buildMonthlyReport } from '../../src/reporting/monthly.js';
import { produceMonthlyReport } from '../../src/reporting/produce.js';
import { renderMonthly, renderStored } from '../../src/reporting/render.js';
import { escapeMarkdown, html, md } from '../../reports/template.js';
import { testConfig } from '../service/harness.js';
import { MARKUP_REASON, NOW, marchStore } from './fixture.js';

const CHECK_IDS = ['static-site', 'cosmos', 'conversion-function', 'scale-set', 'app-gateway', 'certificate', 'dns-standby'];

class RecordingNotifier implements Notifier {
  readonly channel = 'email';
  readonly sent: Message[] = [];
  async send(message: Message): Promise<void> {
    this.sent.push(message);
  }
}

function withEmail() {
  const config = testConfig();
  config.notify.email = { host: '127.0.0.1', port: 2525, secure: false, from: 'drsentinel@example.test', techLead: 'lead@example.test', devops: [] };
  return config;
}

t.test('the model: seven checks in runbook order, each from its latest result of the month', async (t) => {
  const { store, clock } = await marchStore(t);
  const report = await buildMonthlyReport({ store, clock, config: testConfig() });
  t.equal(report.month, '2026-03');
  t.equal(report.to, NOW, 'the running month ends now');
  t.same(report.checks.map((c) => c.id), CHECK_IDS);
  const byId = Object.fromEntries(report.checks.map((c) => [c.id, c]));
  t.match(byId['static-site'], { status: 'pass', passed: true, at: '2026-03-02T09:00:00.000Z', evidence: 'url: http://127.0.0.1:10080/index.html; status: 200' });
  t.match(byId.cosmos, { status: 'pass', runs: 2, failures: 1 });
  t.match(byId['app-gateway'], { status: 'fail', passed: false, reason: MARKUP_REASON, hint: /start the Application Gateway/ });
  t.match(byId['dns-standby'], { status: 'not-run', passed: false, at: null, runs: 0 }, 'a February result does not count for March');
  t.match(byId.certificate, { status: 'fail', failures: 1 }, "February's failure is not March's");
  t.equal(report.verdict, 'not-ready');
  t.ok(report.reasons.includes('dns-standby did not run this month'), 'not run counts as failed');
  t.ok(report.reasons.includes('the uploads sync did not succeed this month'));
});

t.test("the checks' titles and hints name the config's thresholds, not fixed ones", async (t) => {
  const { store, clock } = await marchStore(t);
  const config = testConfig();
  config.activation.vmssStandby = 1;
  config.checks.certificateMinDays = 45;
  const byId = Object.fromEntries((await buildMonthlyReport({ store, clock, config })).checks.map((c) => [c.id, c]));
  t.match(byId['scale-set'], { title: 'API scale set defined, healthy, at capacity 1', hint: /capacity back to 1 / });
  t.match(byId.certificate, { title: 'Wildcard certificate valid for more than 45 days' });
});

t.test('escalation: fixed the same day, escalated, and still open today', async (t) => {
  const { store, clock } = await marchStore(t);
  const { escalations } = await buildMonthlyReport({ store, clock, config: testConfig() });
  t.same(
    escalations.map((e) => [e.check, e.outcome]),
    [
      ['cosmos', 'fixed'],
      ['scale-set', 'escalated'],
      ['app-gateway', 'escalated'],
      ['certificate', 'open'],
    ],
  );
  const [cosmos, scaleSet, gateway, certificate] = escalations;
  t.match(cosmos, { failedAt: '2026-03-02T09:00:02.000Z', retest: { status: 'pass', at: '2026-03-02T11:00:00.000Z' }, summary: 'fixed the same day: the re-test at 11:00 UTC passed' });
  t.match(scaleSet, { retest: null, summary: 'no re-test that day: escalated to the CTO' }, "the next day's pass is not a same-day fix");
  t.match(gateway, { retest: { status: 'fail', at: '2026-03-02T15:00:00.000Z' }, summary: 'the re-test at 15:00 UTC was fail that day: escalated to the CTO' });
  t.match(certificate!.summary, /escalated to the CTO unless fixed before the end of 2026-03-20 UTC/);
});

t.test('sync history per flow: runs, success rate, worst RPO, last success; reverse runs left out', async (t) => {
  const { store, clock } = await marchStore(t);
  const { syncs } = await buildMonthlyReport({ store, clock, config: testConfig() });
  t.equal(syncs.rpoTargetHours, 24);
  const [site, uploads, metadata] = syncs.flows;
  // The failure on the 2nd leaves the copy of the 1st (03:00) as the newest until the 3rd's run ends at 03:10.
  t.match(site, { flow: 'site', runs: 19, succeeded: 18, failed: 1, worstRpoSeconds: 48 * 3600 + 600, rpoWithinTarget: false, lastSuccessAt: '2026-03-19T03:10:00.000Z', lastStatus: 'succeeded' });
  t.equal(site!.successRate, 18 / 19);
  t.match(uploads, { runs: 0, successRate: null, worstRpoSeconds: null, lastSuccessAt: null });
  t.match(metadata, { runs: 1, worstRpoSeconds: null }, 'no verified copy before the 10th: the worst RPO is unknown');

  clock.current = new Date('2026-04-05T00:00:00.000Z');
  const march = await buildMonthlyReport({ store, clock, config: testConfig() }, '2026-03');
  t.equal(march.to, '2026-04-01T00:00:00.000Z', 'a past month ends at its end');
  t.equal(march.syncs.flows[0]!.worstRpoSeconds, (12 * 24 + 21) * 3600, 'from the 19th 03:00 to the end of the month');
  t.equal(march.escalations.find((e) => e.check === 'certificate')?.outcome, 'escalated', 'the day is over');
});

t.test('a malformed or future month is a usage error', async (t) => {
  const { store, clock } = await marchStore(t);
  await t.rejects(buildMonthlyReport({ store, clock, config: testConfig() }, '2026-3'), UsageError);
  await t.rejects(buildMonthlyReport({ store, clock, config: testConfig() }, '2026-04'), { message: 'the month 2026-04 has not begun yet' });
});

t.test('HTML is e-mail safe and escapes every value; Markdown escapes too; JSON is the model', async (t) => {
  const { store, clock } = await marchStore(t);
  const report = await buildMonthlyReport({ store, clock, config: testConfig() });
  const page = renderMonthly(report, 'html');
  t.notMatch(page, /<script/i, 'no script element, not even from a reason');
  t.match(page, 'Stopped &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; cannot serve');
  t.notMatch(page, /<link|<img|<style|class=/, 'inline styles only, nothing fetched');
  for (const id of CHECK_IDS) t.match(page, id);
  t.match(page, 'NOT RUN');
  t.match(page, 'escalated to the CTO');

  const text = renderMonthly(report, 'md');
  t.match(text, 'Stopped \\<script\\>alert("x")\\</script\\> & cannot serve');
  t.match(text, '| Check | Status | Reason | Evidence | Time | Remediation |');
  t.equal(text.split('\n').filter((l) => l.startsWith('| ') && l.includes('(app-gateway)')).length, 1, 'one table row, whatever the reason holds');
  t.match(text, '**Verdict: NOT READY**');

  t.same(JSON.parse(renderMonthly(report, 'json')), report);
});

t.test('the templates escape by default and keep HTML and Markdown apart', async (t) => {
  t.equal(html`<p>${'<b>'}</p>${html`<i>${'&'}</i>`}`.text, '<p>&lt;b&gt;</p><i>&amp;</i>');
  t.equal(md`${'a|b'} ${['*x*', md`**y**`]}`.text, 'a\\|b \\*x\\***y**');
  t.throws(() => html`${md`x` as never}`, TypeError);
  t.equal(escapeMarkdown('# not a heading'), '\\# not a heading');
  t.equal(escapeMarkdown('1. not a list'), '1\\. not a list');
  t.equal(escapeMarkdown('94.7 % of\nruns'), '94.7 % of runs');
});

t.test('produceMonthlyReport stores the model, renders it from the store and e-mails the Tech Lead', async (t) => {
  const { store, clock } = await marchStore(t);
  const notifier = new RecordingNotifier();
  const produced = await produceMonthlyReport({ store, clock, config: withEmail(), notifiers: [notifier] }, { email: true });
  t.same(produced.emailedTo, ['lead@example.test']);
  t.match(await store.reports.list(10), [{ id: produced.id, kind: 'monthly', period: '2026-03', createdAt: NOW }]);
  const record = (await store.reports.get(produced.id))!;
  t.equal(renderStored(record, 'html'), renderMonthly(produced.report, 'html'));

  t.equal(notifier.sent.length, 1);
  const [message] = notifier.sent;
  t.match(message, { kind: 'monthly-report', subject: 'DR readiness report 2026-03: NOT READY', to: ['lead@example.test'], data: { reportId: produced.id, verdict: 'not-ready' } });
  t.equal(message!.text, renderMonthly(produced.report, 'md'));
  t.equal(message!.html, renderMonthly(produced.report, 'html'));

  const quiet = await produceMonthlyReport({ store, clock, config: withEmail(), notifiers: [notifier] }, { email: false });
  t.same(quiet.emailedTo, []);
  t.equal(notifier.sent.length, 1, 'not sent unless asked');
});

t.test('e-mailing without notify.email says so before anything is stored', async (t) => {
  const { store, clock } = await marchStore(t);
  await t.rejects(produceMonthlyReport({ store, clock, config: testConfig(), notifiers: [new RecordingNotifier()] }, { email: true }), {
    name: 'UsageError',
    message: /notify\.email is not configured/,
  });
  t.equal((await store.reports.list(10)).length, 0);
});

t.test('a failed delivery keeps the stored report and names it', async (t) => {
  const { store, clock } = await marchStore(t);
  const broken: Notifier = { channel: 'email', send: async () => Promise.reject(new Error('connection refused by 127.0.0.1:2525')) };
  await t.rejects(produceMonthlyReport({ store, clock, config: withEmail(), notifiers: [broken] }, { email: true }), {
    message: /^report [0-9a-f-]{36} is stored, but connection refused by 127\.0\.0\.1:2525$/,
  });
  t.equal((await store.reports.list(10)).length, 1);
});
