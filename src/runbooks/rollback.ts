/**
 * The rollback runbook (R13, steps 1–5), only once AWS is confirmed stable: a CTO approves,
 * uploads are let in again on S3, everything written on Azure during the contingency goes back
 * (reverse sync, never deleting), AWS is re-validated, DNS cut back, the standby scaled down,
 * and the post-rollback report written.
 */
import { fail, pass, type Outcome } from '../core/result.js';
import type { Step, StepContext } from '../core/runbook.js';
import { uploadsInFlight } from './in-flight.js';
import type { SyncRunRecord } from '../store/types.js';
import type { RunbookDeps } from './deps.js';
import { awsTargets, azureTargets } from '../checks/dns-targets.js';
import { pointNames, propagation, restoreNames, zoneHolds, type LoweredTtls } from './dns.js';
import { FINAL_SYNC_FLOWS, runsOf, type SyncRunsOutput, type TtlOutput } from './activation.js';
import { untilPass } from './poll.js';
import { checkpoint } from './checkpoint.js';
import { azureQuiet } from './quiet.js';

/** When the contingency began: the `since` asked for, else the newest contingency's start, else the newest live activation's. */
export async function contingencyStart(deps: RunbookDeps, params: Readonly<Record<string, unknown>>): Promise<Date | undefined> {
  if (typeof params.since === 'string') return new Date(params.since);
  const recorded = await deps.store.contingencies.latest();
  if (recorded) return new Date(recorded.since);
  const activation = (await deps.store.runs.list(200)).find((r) => !r.dryRun && (r.runbook === 'activation' || r.runbook === 'game-day'));
  return activation ? new Date(activation.startedAt) : undefined;
}

/** Runs the reverse flows of uploads and metadata from `since` and waits for them; returns their ids. */
async function carryBack(deps: RunbookDeps, since: Date | undefined, signal: AbortSignal): Promise<SyncRunsOutput> {
  signal.throwIfAborted();
  const ids = await Promise.all(FINAL_SYNC_FLOWS.map(async (flow) => [flow, (await deps.syncs.wait(await deps.syncs.startOrJoin(flow, { reverse: true, ...(since ? { since } : {}) }))).id] as const));
  return Object.fromEntries(ids);
}

/** The reverse runs a step's act started, judged: each flow carried back, or why not. */
async function reversePass(deps: RunbookDeps, ctx: StepContext, stepId: string, what: string): Promise<Outcome> {
  const runs = [...(await runsOf(deps, ctx.outputs.get(stepId))).values()].flatMap((r) => (r ? [r] : []));
  if (runs.length < FINAL_SYNC_FLOWS.length) return fail(`the reverse sync of uploads and metadata (${what}) has not run`);
  const failed = runs.filter((r) => r.status !== 'succeeded');
  const why = (r: SyncRunRecord) => r.summary.verification?.reason ?? r.summary.error ?? r.status;
  const evidence = Object.fromEntries(runs.map((r) => [r.flow, { run: r.id, status: r.status, failureClass: r.summary.failureClass, verification: why(r) }]));
  return failed.length === 0
    ? pass(`uploads and metadata ${what} are back on AWS`, evidence)
    : fail(`the reverse sync (${what}) failed for ${failed.map((r) => `${r.flow} (${why(r)})`).join(', ')}`, evidence);
}

async function answers200(url: string, signal: AbortSignal): Promise<string | undefined> {
  try {
    const res = await fetch(url, { signal, redirect: 'manual' });
    await res.arrayBuffer();
    return res.status === 200 ? undefined : `${url} answered ${res.status}`;
  } catch (err) {
    return `${url} did not answer (${(err as Error).message})`;
  }
}

/** R13.3: the load balancer's health URL and every critical endpoint answer 200. */
export async function awsRevalidation(urls: readonly string[], signal: AbortSignal): Promise<Outcome> {
  if (urls.length === 0) return fail('no AWS endpoint to re-validate: set activation.awsHealthUrls');
  const problems = (await Promise.all(urls.map((u) => answers200(u, signal)))).flatMap((p) => p ?? []);
  return problems.length === 0 ? pass(`AWS answers 200 on ${urls.length} endpoint(s)`, { urls }) : fail(problems.join('; '), { urls });
}

/**
 * The TTLs the activation lowered, given back by the cutback: the game day's own step output,
 * else that of the run that began the contingency.
 */
async function loweredTtls(deps: RunbookDeps, ctx: StepContext): Promise<LoweredTtls | undefined> {
  const own = ctx.outputs.get('dns-ttl') as TtlOutput | undefined;
  if (own) return own.lowered;
  const activation = (await deps.store.contingencies.latest())?.runId;
  const step = activation ? (await deps.store.runs.steps(activation)).find((s) => s.stepId === 'dns-ttl') : undefined;
  return (step?.output as TtlOutput | undefined)?.lowered;
}

/** The rollback's two reverse passes: during the contingency, and the catch-up after the cutback. */
const REVERSE_PASSES = ['reverse-sync', 'catch-up-sync'] as const;

/** What carrying data back into production leaves: it cannot be taken back, so the CTO's gate before it says so. */
const WRITES_INTO_PRODUCTION = 'what was carried back into production stays there; the writes were conditional and overwrote nothing changed on AWS';

export function rollbackSteps(deps: RunbookDeps): Step[] {
  const { config, adapters, control } = deps;
  const zone = () => control.dnsZone();
  const targets = () => awsTargets(config, zone().zone);

  /** Uploads made on Azure during the contingency that the function has not finished with. */
  const inFlight = async (ctx: StepContext): Promise<string[]> => {
    const since = await contingencyStart(deps, ctx.params);
    const functionName = config.azure.functionApp?.conversionFunction;
    if (!since || !functionName) return [];
    return uploadsInFlight({ uploads: adapters.objects.azureUploads, logs: control.logs(), functionName, container: config.azure.blob.containers.uploads, since, signal: ctx.signal });
  };

  return [
    checkpoint({
      id: 'cto-approval',
      title: 'The CTO confirms AWS is stable and approves the return (R13)',
      role: 'cto',
      question: 'AWS is confirmed stable: start the return to AWS? The reverse sync then writes into production, and that cannot be undone',
      decider: 'the CTO',
    }),
    // The deny rule of the activation covers every principal, the reverse sync's own too; users
    // still reach Azure until the cutback, so S3 opens again first.
    {
      id: 'unblock-uploads',
      title: 'Let uploads in again on AWS, so the reverse sync can write them (R13.2)',
      role: 'sre',
      act: (ctx) => adapters.uploadGate.unblock(ctx.signal),
      // Users still reach Azure until the cutback: AWS goes back to refusing them.
      undo: (ctx) => adapters.uploadGate.block(ctx.signal),
      async verify(ctx) {
        return (await adapters.uploadGate.isBlocked(ctx.signal)) ? fail(`${adapters.uploadGate.name} still refuses uploads`) : pass(`${adapters.uploadGate.name} accepts uploads again`);
      },
    },
    {
      id: 'reverse-sync',
      title: 'Carry back to AWS what was written on Azure during the contingency (R13.1–2)',
      role: 'sre',
      irreversible: WRITES_INTO_PRODUCTION,
      act: async (ctx) => carryBack(deps, await contingencyStart(deps, ctx.params), ctx.signal),
      verify: async (ctx) => reversePass(deps, ctx, 'reverse-sync', 'written during the contingency'),
    },
    {
      id: 'aws-revalidation',
      title: 'Re-validate AWS: the ALB health URL and the critical endpoints answer 200 (R13.3)',
      role: 'sre',
      verify: (ctx) => awsRevalidation(config.activation.awsHealthUrls, ctx.signal),
    },
    {
      id: 'dns-cutback',
      title: 'Point the names back at AWS and watch the resolvers (R13.3)',
      role: 'sre',
      // Once the names point back at AWS, AWS is production again: the forward syncs may resume.
      async act(ctx) {
        const lowered = await loweredTtls(deps, ctx);
        await restoreNames(zone(), targets(), ctx.signal, { maxTtl: config.checks.maxTtlSeconds, ...(lowered ? { lowered } : {}) });
        await deps.store.contingencies.end(`the DNS cutback of run ${ctx.runId}`);
      },
      // The names go back to the standby, which serves again: the contingency with them.
      async undo(ctx) {
        await deps.store.contingencies.begin(ctx.runId, ctx.runbook);
        const gatewayIp = (await control.gateway().get(ctx.signal)).publicIp;
        await pointNames(zone(), azureTargets(config, zone().zone, gatewayIp), config.checks.maxTtlSeconds, ctx.signal);
      },
      async verify(ctx) {
        const t = targets();
        if (t.length === 0) return fail('no name to cut back: set activation.cutover');
        const held = await zoneHolds(zone(), t, ctx.signal);
        if (held.status === 'fail') return held;
        const timeoutMs = ctx.dryRun ? 0 : (config.checks.maxTtlSeconds + config.activation.propagationMarginSeconds) * 1000;
        return untilPass(propagation(deps.resolvers, t, config.checks.minResolvers), { signal: ctx.signal, timeoutMs });
      },
    },
    {
      id: 'catch-up-sync',
      title: `Once Azure has taken no write for ${config.activation.quietPeriodSeconds} s, carry back what it took in after the first pass (R13.2)`,
      role: 'sre',
      irreversible: WRITES_INTO_PRODUCTION,
      async act(ctx) {
        // Half the step's time for the quiet to come, half for the pass itself.
        const quiet = await untilPass((signal) => azureQuiet(deps, config.activation.quietPeriodSeconds, signal), {
          signal: ctx.signal, timeoutMs: (config.activation.stepTimeoutMinutes * 60_000) / 2, everyMs: Math.min(5000, config.activation.quietPeriodSeconds * 1000),
        });
        if (quiet.status === 'fail') throw new Error(quiet.reason);
        // From the first pass's start: what changed after it began may have been read before it changed.
        const firstPass = ctx.startedAt.get('reverse-sync');
        return carryBack(deps, firstPass ? new Date(firstPass) : await contingencyStart(deps, ctx.params), ctx.signal);
      },
      verify: async (ctx) => reversePass(deps, ctx, 'catch-up-sync', 'written on Azure after the first pass'),
    },
    {
      id: 'scale-down',
      title: `Scale Azure down: the API to ${config.activation.vmssStandby}, Cosmos to ${config.activation.cosmosStandbyRu} RU/s (R13.4)`,
      role: 'sre',
      async act(ctx) {
        await control.scaleSet().setCapacity(config.activation.vmssStandby, ctx.signal);
        await control.throughput().set(config.activation.cosmosStandbyRu, ctx.signal);
      },
      async undo(ctx) {
        await control.throughput().set(config.activation.cosmosActiveRu, ctx.signal);
        await control.scaleSet().setCapacity(config.activation.vmssActive, ctx.signal);
      },
      async verify(ctx) {
        const [set, ru, pending] = await Promise.all([control.scaleSet().get(ctx.signal), control.throughput().get(ctx.signal), inFlight(ctx)]);
        const problems = [
          ...(set.capacity === config.activation.vmssStandby ? [] : [`the scale set has capacity ${set.capacity}, not ${config.activation.vmssStandby}`]),
          ...(ru === config.activation.cosmosStandbyRu ? [] : [`Cosmos runs at ${ru} RU/s, not ${config.activation.cosmosStandbyRu}`]),
          ...(pending.length === 0 ? [] : [`${pending.length} upload(s) not yet processed by the function: ${pending.slice(0, 5).join(', ')}${pending.length > 5 ? ', …' : ''}`]),
        ];
        const measurements = { capacity: set.capacity, ru, uploadsInFlight: pending.length };
        return problems.length === 0 ? pass('the standby is back to warm standby and nothing is still processing', {}, measurements) : fail(problems.join('; '), { inFlight: pending.slice(0, 50) }, measurements);
      },
    },
    {
      id: 'post-rollback-report',
      title: 'Write the post-rollback report (R13.5)',
      role: 'tech-lead',
      irreversible: 'a report written stays on record; a later run writes its own',
      async act(ctx) {
        if ((await deps.store.reports.list(50, 'post-rollback')).some((r) => r.period === ctx.runId)) return;
        const view = ctx.view;
        const passes = REVERSE_PASSES.map((id) => ({ step: id, result: ctx.results.get(id) }));
        const divergences = [
          ...passes.flatMap(({ result }) => (result && result.status !== 'pass' ? [result.reason] : [])),
          'documents deleted in Cosmos during the contingency are not deleted on DynamoDB by the reverse sync: review them by hand',
        ];
        const body = deps.postRollbackReport(view, divergences, await deps.store.messages.forRun(ctx.runId), REVERSE_PASSES, ctx.now());
        await deps.store.reports.save({ kind: 'post-rollback', period: ctx.runId, format: 'md', body });
      },
      async verify(ctx) {
        const report = (await deps.store.reports.list(50, 'post-rollback')).find((r) => r.period === ctx.runId);
        return report ? pass(`post-rollback report ${report.id} written`, { report: report.id }) : fail('no post-rollback report was written');
      },
    },
  ];
}
