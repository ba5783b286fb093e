import t from 'tap';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { createMetrics } from '../../src/metrics/index.js';
import { promtool } from './promtool.js';

const read = (path: string): string => readFileSync(new URL(`../../grafana/${path}`, import.meta.url), 'utf8');

/** PromQL parsed loosely: any identifier that starts with dr_ is a metric name. */
const drNames = (expr: string): string[] => expr.match(/\bdr_[a-z0-9_]+/g) ?? [];

interface RulesFile {
  groups: { rules: { expr: string }[] }[];
}

interface Panel {
  targets?: { expr?: string }[];
  panels?: Panel[];
}

function ruleExpressions(): string[] {
  const rules = parse(read('rules/drsentinel.rules.yml')) as RulesFile;
  return rules.groups.flatMap((g) => g.rules.map((r) => r.expr));
}

function dashboardExpressions(): string[] {
  const dashboard = JSON.parse(read('dashboards/drsentinel.json')) as { panels: Panel[] };
  const walk = (panels: Panel[]): string[] =>
    panels.flatMap((p) => [...(p.targets ?? []).flatMap((x) => (x.expr ? [x.expr] : [])), ...walk(p.panels ?? [])]);
  return walk(dashboard.panels);
}

async function exportedFamilies(): Promise<Set<string>> {
  const text = await createMetrics().text();
  return new Set([...text.matchAll(/^# TYPE (\S+) \S+$/gm)].map((m) => m[1]!));
}

for (const [source, expressions] of [['rules', ruleExpressions()], ['dashboard', dashboardExpressions()]] as const) {
  t.test(`every dr_ metric the ${source} read is exported by /metrics`, async (t) => {
    const families = await exportedFamilies();
    const used = new Set(expressions.flatMap(drNames));
    t.ok(used.size >= 5, `dr_ metrics appear in the ${source} (found ${[...used].join(', ')})`);
    for (const name of used) t.ok(families.has(name), `${name} is a family of createMetrics()`);
  });
}

t.test('promtool check metrics accepts the exposition text', async (t) => {
  const metrics = createMetrics();
  const startedAt = new Date().toISOString();
  metrics.projectCheck('smoke', 'website', { status: 'pass', reason: 'index.html served', evidence: {}, measurements: {}, startedAt, durationMs: 120 });
  metrics.projectCheck('monthly', 'cosmos-write', { status: 'fail', reason: 'write denied', evidence: {}, measurements: {}, startedAt, durationMs: 900 });
  metrics.projectReadiness({
    verdict: 'not-ready', score: 0.5, contingency: null,
    rpo: [{ flow: 'site', seconds: 3600 }],
    estimatedRtoSeconds: 9000,
  });
  metrics.syncObjectsTotal.inc({ flow: 'site', result: 'copied' }, 42);
  metrics.syncBytesTotal.inc({ flow: 'site' }, 4096);
  metrics.syncDurationSeconds.set({ flow: 'site' }, 12.5);
  metrics.syncIntegrityRatio.set({ flow: 'site' }, 1);
  metrics.syncLastSuccessTimestampSeconds.set({ flow: 'site' }, Date.now() / 1000);
  metrics.tlsCertificateExpiryTimestampSeconds.set({ certificate: 'www' }, Date.now() / 1000 + 90 * 86400);
  metrics.dnsResolversAgreeing.set({ name: 'www.example.org' }, 3);
  metrics.runbookStepDurationSeconds.set({ runbook: 'activate', step: 'scale-out' }, 300);

  const text = await metrics.text();
  t.match(text, /^dr_check_success\{suite="smoke",check="website"\} 1$/m, 'the samples are in the text');
  const { status, output } = promtool(['check', 'metrics'], { input: text });
  const complaints = output.trim().split('\n').filter(Boolean);
  t.same(complaints.filter((line) => /\bdr_/.test(line)), [], 'no lint complaint about a dr_ family');
  // The runtime metrics prom-client adds are served too, so they must pass as well.
  t.same(complaints, [], 'no lint complaint about any family served by /metrics');
  t.equal(status, 0, 'promtool check metrics exits 0');
});
