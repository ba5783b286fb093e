/**
 * The activation runbook (R6–R12): declare and mobilise, freeze and carry the last data over,
 * scale the standby up, cut DNS over, validate. Every act is idempotent (a resumed run may
 * repeat an act the crash interrupted) and each step knows how to undo what it did.
 */
import type { Step, StepContext } from '../core/runbook.js';
import { describeError, fail, pass, skip, warn, type Outcome } from '../core/result.js';
import type { SyncRunRecord } from '../store/types.js';
import type { SyncFlow } from '../core/flows.js';
import { apiHealthCheck } from '../../probes/api-health.js';
import { gatewayBackendsCheck } from '../../probes/gateway-backends.js';
import type { Suite } from '../checks/suite-names.js';
import type { RunbookDeps } from './deps.js';
import { awsTargets, azureTargets } from '../checks/dns-targets.js';
import { currentTtls, lowerTtlsNoWait, pointNames, propagation, restoreNames, restoreTtls, ttlsToLower, zoneHolds, type TtlLowering } from './dns.js';
import { asking, untilPass } from './poll.js';
import { checkpoint } from './checkpoint.js';

/** Flows of the final sync: the site changes by deployment, not by users, so it is not frozen. */
export const FINAL_SYNC_FLOWS: readonly SyncFlow[] = ['uploads', 'metadata'];

const ratioOf = (run: SyncRunRecord) => run.summary.verification?.measurements.ratio ?? (run.status === 'succeeded' ? 1 : 0);

/** What the TTL step lowered (name and type → the TTL before) and how long the old answers live on. */
export type TtlOutput = TtlLowering;

/** The sync runs a step started, by flow: its act's output. */
export type SyncRunsOutput = Partial<Record<SyncFlow, string>>;

/** The runs a step's act left in its output, as the store has them now. */
export async function runsOf(deps: Pick<RunbookDeps, 'store'>, output: unknown): Promise<Map<SyncFlow, SyncRunRecord | undefined>> {
  const ids = (output ?? {}) as SyncRunsOutput;
  const runs = await Promise.all(FINAL_SYNC_FLOWS.map(async (flow) => [flow, ids[flow] === undefined ? undefined : await deps.store.syncs.get(ids[flow]!)] as const));
  return new Map(runs);
}

export async function gatewayUrl(deps: RunbookDeps, signal: AbortSignal): Promise<string> {
  if (deps.config.azure.appGateway?.url) return deps.config.azure.appGateway.url;
  const { publicIp } = await deps.control.gateway().get(signal);
  if (!publicIp) throw new Error('the Application Gateway has no public IP');
  return `http://${publicIp}`;
}

/** A suite of checks as a step. `writes`: the suite leaves test data behind for a moment, so a dry-run does not run it. */
export function suiteStep(deps: RunbookDeps, suite: Suite, id: string, title: string, o: { writes?: boolean } = {}): Step {
  return {
    id,
    title,
    role: 'sre',
    async verify(ctx) {
      if (ctx.dryRun && o.writes) return skip(`dry-run: the ${suite} checks write test data, so they are not run`);
      const summary = await deps.checks.run(suite, ctx.signal, { record: !ctx.dryRun });
      const failed = summary.results.filter((r) => r.result.status === 'fail');
      const evidence = { checks: Object.fromEntries(summary.results.map((r) => [r.check, `${r.result.status}: ${r.result.reason}`])) };
      if (summary.results.length === 0) return fail(`the ${suite} suite has no check configured`);
      return failed.length === 0
        ? pass(`the ${suite} checks pass (${summary.results.length})`, evidence)
        : fail(`${failed.length} ${suite} check(s) failed: ${failed.map((r) => `${r.check} — ${r.result.reason}`).join('; ')}`, evidence);
    },
  };
}

/**
 * R8: every backend Healthy, waited for up to `timeoutMs`; if not, the console log of each
 * instance behind an unhealthy backend is the evidence the people in the war room read next.
 */
export async function backendsHealthy(deps: Pick<RunbookDeps, 'control'>, signal: AbortSignal, timeoutMs: number): Promise<Outcome> {
  const { gateway, scaleSet } = deps.control;
  const backends = await untilPass(asking(gatewayBackendsCheck(gateway())), { signal, timeoutMs });
  if (backends.status !== 'fail') return backends;
  const [health, instances] = await Promise.all([gateway().backendHealth(signal), scaleSet().instances(signal)]);
  const unhealthy = new Set(health.filter((b) => b.health !== 'Healthy').map((b) => b.address));
  const consoleLogs: Record<string, string> = {};
  for (const instance of instances) {
    if (!instance.address || !unhealthy.has(instance.address)) continue;
    consoleLogs[`${instance.id} (${instance.address})`] = await scaleSet().consoleLog(instance.id, signal).catch((err: unknown) => `(the console log could not be read: ${describeError(err)})`);
  }
  return { ...backends, evidence: { ...backends.evidence, consoleLogs } };
}

/** R7: who decides whether the integrity reached is enough to go on. */
export function integrityGate(deps: Pick<RunbookDeps, 'config'>, ctx: Pick<StepContext, 'results'> & { dryRun?: boolean }) {
  const ratio = ctx.results.get('final-sync')?.measurements.ratio;
  const { proceedRatio, ctoRatio } = deps.config.activation;
  if (ratio === undefined) {
    // A dry-run runs no final sync, so nobody can be named: its step says who decides at which
    // integrity. A live run stops at a final sync that did not run; were it ever here, no
    // measure at all is the CTO's call.
    if (ctx.dryRun) return undefined;
    return { id: 'integrity', role: 'cto' as const, question: 'no integrity was measured after the final sync: proceed anyway (approve, with the reason), or stop (reject)?' };
  }
  const shown = `${(ratio * 100).toFixed(1)} %`;
  if (ratio >= proceedRatio) return { id: 'integrity', role: 'tech-lead' as const, question: `integrity ${shown} (≥ ${proceedRatio * 100} %): proceed to the scale-up?` };
  if (ratio >= ctoRatio) return { id: 'integrity', role: 'tech-lead' as const, question: `integrity ${shown} is between ${ctoRatio * 100} and ${proceedRatio * 100} %: as Incident Commander, proceed or stop?` };
  return { id: 'integrity', role: 'cto' as const, question: `integrity ${shown} is below ${ctoRatio * 100} %: accept the residual loss and proceed (approve, with the reason), or stop to retry the sync (reject)?` };
}

export function activationSteps(deps: RunbookDeps): Step[] {
  const { config, adapters, comms, control } = deps;
  const zone = () => control.dnsZone();
  const minResolvers = config.checks.minResolvers;
  const targets = async (signal: AbortSignal) => azureTargets(config, zone().zone, (await control.gateway().get(signal)).publicIp);

  return [
    {
      id: 'announce',
      title: 'Announce the activation on the internal channels (R6)',
      role: 'tech-lead',
      irreversible: 'a message sent cannot be called back; the abort or the return is announced in its turn',
      async act(ctx) {
        // One announcement per run: a resumed act posts again only when the last one failed.
        if ((await deps.store.messages.forRun(ctx.runId)).some((m) => m.kind === 'internal-alert' && m.status !== 'failed')) return;
        await comms.post('internal-alert', {
          scenario: String(ctx.params.scenario ?? ''), reason: String(ctx.params.reason ?? ''), startedAt: String(ctx.params.startedAt ?? ''),
          runbookReference: config.activation.runbookReference, runId: ctx.runId, warRoom: config.activation.warRoom,
        }, { name: String(ctx.params.startedBy ?? 'drsentinel'), roles: [] }, ctx.signal);
      },
      async verify(ctx) {
        const sent = (await deps.store.messages.forRun(ctx.runId)).filter((m) => m.kind === 'internal-alert').at(-1);
        if (!sent) return fail('no announcement was recorded');
        return sent.status === 'sent'
          ? pass(`announced on ${sent.channels.join(' and ')} at ${sent.sentAt}`, { message: sent.id })
          : fail(`the announcement could not be delivered: ${sent.error ?? sent.status}`, { message: sent.id });
      },
    },
    {
      id: 'war-room',
      title: 'Record the war room (R6)',
      role: 'tech-lead',
      async verify() {
        const roster = config.activation.warRoom;
        const missing = ['tech-lead', 'devops', 'sre', 'cto'].filter((role) => !(roster[role]?.length));
        if (missing.length > 0) return warn(`the war room has no one for ${missing.join(', ')} (activation.warRoom)`, { roster });
        return pass(`war room: ${Object.entries(roster).map(([role, people]) => `${role} ${people.join(', ')}`).join('; ')}`, { roster });
      },
    },
    checkpoint({
      id: 'incident-commander',
      title: 'Incident Commander checkpoint (R6)',
      role: 'tech-lead',
      question: 'War room assembled and the failure confirmed: start the final sync?',
      decider: 'the Incident Commander',
    }),
    {
      id: 'block-uploads',
      title: 'Block new uploads on AWS with a bucket policy (R7)',
      role: 'sre',
      // The contingency begins a moment before the block: held a moment early, the forward
      // syncs lose nothing; held a moment late, one could undo what the standby took in.
      async act(ctx) {
        await deps.store.contingencies.begin(ctx.runId, ctx.runbook);
        await adapters.uploadGate.block(ctx.signal);
        return { blockedAt: ctx.now().toISOString() };
      },
      async undo(ctx) {
        await adapters.uploadGate.unblock(ctx.signal);
        if ((await deps.store.contingencies.current())?.runId === ctx.runId) await deps.store.contingencies.end(`the undo of run ${ctx.runId}`);
      },
      async verify(ctx) {
        return (await adapters.uploadGate.isBlocked(ctx.signal))
          ? pass(`${adapters.uploadGate.name} refuses new uploads`)
          : fail(`${adapters.uploadGate.name} still accepts uploads: its policy has no deny rule`);
      },
    },
    {
      id: 'final-sync',
      title: 'Force the final sync of uploads and metadata, then check integrity (R7)',
      role: 'sre',
      irreversible: 'copying onto the standby changes nothing in production; the copies stay for the next activation',
      async act(ctx): Promise<SyncRunsOutput> {
        // A run of the flow already going (the daily job, a restart's catch-up) serves as the
        // final sync only if it began after the block; an older one is waited out, then run again.
        const blockedAt = (ctx.outputs.get('block-uploads') as { blockedAt?: string } | undefined)?.blockedAt ?? ctx.now().toISOString();
        const ids = await Promise.all(FINAL_SYNC_FLOWS.map(async (flow) => {
          const request = { finalSyncOf: ctx.runId };
          const run = await deps.syncs.wait(await deps.syncs.startOrJoin(flow, request));
          return [flow, run.startedAt < blockedAt ? (await deps.syncs.wait(await deps.syncs.startOrJoin(flow, request))).id : run.id] as const;
        }));
        ctx.log('final sync finished');
        return Object.fromEntries(ids);
      },
      async verify(ctx) {
        const runs = await runsOf(deps, ctx.outputs.get('final-sync'));
        const missing = [...runs].filter(([, r]) => !r).map(([flow]) => flow);
        if (missing.length > 0) return fail(ctx.dryRun ? `dry-run: no final sync of ${missing.join(', ')} ran` : `no finished final sync of ${missing.join(', ')}`);
        const ratios = Object.fromEntries([...runs].map(([flow, r]) => [flow, ratioOf(r!)]));
        const ratio = Math.min(...Object.values(ratios));
        const evidence = Object.fromEntries([...runs].map(([flow, r]) => [flow, { run: r!.id, status: r!.status, verification: r!.summary.verification?.reason ?? r!.summary.error }]));
        return pass(`integrity after the final sync: ${(ratio * 100).toFixed(1)} % (uploads ${(ratios.uploads! * 100).toFixed(1)} %, metadata ${(ratios.metadata! * 100).toFixed(1)} %)`, evidence, { ratio });
      },
    },
    {
      id: 'integrity-gate',
      title: 'Decide on the integrity (R7: ≥ 95 % Incident Commander, < 90 % CTO)',
      role: 'tech-lead',
      // R7's decision on the integrity is the whole point of the step: it is decided, never passed by.
      skippable: false,
      gate: (ctx) => integrityGate(deps, ctx),
      async verify(ctx) {
        const d = ctx.decisions.get('integrity');
        const ratio = ctx.results.get('final-sync')?.measurements.ratio;
        const asked = `dry-run: a decision would be asked here — of the Incident Commander (tech-lead) at ${config.activation.ctoRatio * 100} % integrity or more, of the CTO below`;
        return pass(d ? `${d.by} decided to proceed: ${d.reason}` : asked, {}, ratio === undefined ? {} : { ratio });
      },
    },
    {
      id: 'cosmos-throughput',
      title: `Raise Cosmos throughput to ${config.activation.cosmosActiveRu} RU/s (R8)`,
      role: 'sre',
      act: async (ctx) => void (await control.throughput().set(config.activation.cosmosActiveRu, ctx.signal)),
      undo: async (ctx) => void (await control.throughput().set(config.activation.cosmosStandbyRu, ctx.signal)),
      async verify(ctx) {
        const ru = await control.throughput().get(ctx.signal);
        return ru === config.activation.cosmosActiveRu ? pass(`Cosmos runs at ${ru} RU/s`, {}, { ru }) : fail(`Cosmos runs at ${ru} RU/s, not ${config.activation.cosmosActiveRu}`, {}, { ru });
      },
    },
    {
      id: 'scale-up',
      title: `Scale the API to ${config.activation.vmssActive} instances, all Running (R8)`,
      role: 'sre',
      act: async (ctx) => void (await control.scaleSet().setCapacity(config.activation.vmssActive, ctx.signal)),
      undo: async (ctx) => void (await control.scaleSet().setCapacity(config.activation.vmssStandby, ctx.signal)),
      verify: (ctx) =>
        untilPass(async (signal) => {
          const want = config.activation.vmssActive;
          const instances = await control.scaleSet().instances(signal);
          const running = instances.filter((i) => i.powerState === 'running');
          const evidence = { instances: instances.map((i) => `${i.id} ${i.powerState} ${i.address ?? ''}`.trim()) };
          return running.length >= want ? pass(`${running.length} instances Running`, evidence) : fail(`${running.length} of ${want} instances Running`, evidence);
        }, { signal: ctx.signal, timeoutMs: ctx.dryRun ? 0 : 10 * 60_000 }),
    },
    {
      id: 'backends-healthy',
      title: 'Every Application Gateway backend Healthy and the API answering (R8)',
      role: 'sre',
      async verify(ctx) {
        const timeoutMs = ctx.dryRun ? 0 : 10 * 60_000;
        const backends = await backendsHealthy(deps, ctx.signal, timeoutMs);
        if (backends.status === 'fail') return backends;
        const health = await untilPass(asking(apiHealthCheck({ url: await gatewayUrl(deps, ctx.signal) })), { signal: ctx.signal, timeoutMs });
        return health.status === 'fail' ? health : pass(`${backends.reason}; ${health.reason}`, { ...backends.evidence, ...health.evidence });
      },
    },
    suiteStep(deps, 'e2e', 'warm-functions', 'Warm the Functions with a test event and confirm the run in the logs (R8)', { writes: true }),
    {
      id: 'dns-ttl',
      title: `Bring DNS TTLs down to ${config.checks.maxTtlSeconds} s and wait the old ones out (R9)`,
      role: 'sre',
      async act(ctx): Promise<TtlOutput> {
        const names = await targets(ctx.signal);
        // What the TTLs were is read once and kept before any is lowered: an act run again after
        // a crash finds them lowered already, and would otherwise wait nothing out and restore nothing.
        const planned = (ctx.outputs.get('dns-ttl') as TtlOutput | undefined)?.lowered ?? await ttlsToLower(zone(), names, config.checks.maxTtlSeconds, ctx.signal);
        // Stored before any TTL changes: the engine's keep returns its write (its type says void),
        // which Promise.resolve waits for, so no crash comes between the write and the lowering.
        await Promise.resolve(ctx.keep?.({ lowered: planned, waitSeconds: 0 } satisfies TtlOutput));
        const lowering = await lowerTtlsNoWait(zone(), names, config.checks.maxTtlSeconds, ctx.signal, planned);
        if (Object.keys(lowering.lowered).length > 0) ctx.log(`TTLs lowered; waiting ${lowering.waitSeconds} s for the old ones to run out`, lowering.lowered);
        return lowering;
      },
      // The wait is the engine's: its deadline is stored, and a restart waits only what is left.
      waitAfterAct: (output) => (output as TtlOutput).waitSeconds,
      async undo(ctx, output) {
        const lowered = (output as TtlOutput | undefined)?.lowered ?? {};
        await restoreTtls(zone(), awsTargets(config, zone().zone), lowered, ctx.signal);
      },
      async verify(ctx) {
        const ttls = await currentTtls(zone(), await targets(ctx.signal), ctx.signal);
        const high = Object.entries(ttls).filter(([, ttl]) => ttl > config.checks.maxTtlSeconds);
        return high.length === 0
          ? pass(`every TTL is at most ${config.checks.maxTtlSeconds} s`, { ttls })
          : fail(`TTL above ${config.checks.maxTtlSeconds} s: ${high.map(([n, t]) => `${n} ${t} s`).join(', ')}`, { ttls });
      },
    },
    {
      id: 'pre-dns-probe',
      title: 'Probe the standby end to end at its own address before DNS moves (R9)',
      role: 'sre',
      async verify(ctx) {
        return untilPass(asking(apiHealthCheck({ url: await gatewayUrl(deps, ctx.signal) })), { signal: ctx.signal, timeoutMs: ctx.dryRun ? 0 : 60_000 });
      },
    },
    {
      id: 'dns-cutover',
      title: 'Point the main and API names at Azure and watch the resolvers (R9)',
      role: 'sre',
      // One conditional replace per name, never delete-then-create (runbooks/dns.ts).
      act: async (ctx) => pointNames(zone(), await targets(ctx.signal), config.checks.maxTtlSeconds, ctx.signal),
      // The names back at AWS, with the TTLs they had before the lowering.
      async undo(ctx) {
        const lowered = (ctx.outputs.get('dns-ttl') as TtlOutput | undefined)?.lowered;
        await restoreNames(zone(), awsTargets(config, zone().zone), ctx.signal, { maxTtl: config.checks.maxTtlSeconds, ...(lowered ? { lowered } : {}) });
      },
      async verify(ctx) {
        const t = await targets(ctx.signal);
        if (t.length === 0) return fail('no name to cut over: set activation.cutover');
        const held = await zoneHolds(zone(), t, ctx.signal);
        if (held.status === 'fail') return held;
        const timeoutMs = ctx.dryRun ? 0 : (config.checks.maxTtlSeconds + config.activation.propagationMarginSeconds) * 1000;
        return untilPass(propagation(deps.resolvers, t, minResolvers), { signal: ctx.signal, timeoutMs });
      },
    },
    suiteStep(deps, 'smoke', 'smoke-tests', 'Smoke tests (R10)'),
    suiteStep(deps, 'e2e', 'end-to-end', 'End-to-end test (R11)', { writes: true }),
    suiteStep(deps, 'complementary', 'complementary', 'Complementary checks (R12)'),
  ];
}
