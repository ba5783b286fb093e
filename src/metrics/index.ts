/**
 * The Prometheus registry and every dr_* family of design.md. Families are registered at
 * start so dashboards and alert rules can rely on their names: prom-client prints `# HELP`
 * and `# TYPE` for a labelled family even before it has a sample.
 *
 * Results are projected here (one way); nothing reads these values back as state.
 * Durations of syncs and runbook steps are gauges of the LAST run, not histograms: each
 * flow runs once a day and each runbook a few times a year, too few observations for
 * buckets to mean anything, while "how long did last night's sync take" is the question
 * the dashboard asks.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Result } from '../core/result.js';

/**
 * What the gauges show of a readiness verdict (src/checks/readiness.ts), named here rather
 * than imported: metrics sits below the checks, which project into it.
 */
export interface ReadinessGauges {
  verdict: string;
  score: number;
  contingency: object | null;
  rpo: ReadonlyArray<{ flow: string; seconds: number | null }>;
  estimatedRtoSeconds: number | null;
}

export interface Metrics {
  readonly registry: Registry;
  readonly checkSuccess: Gauge<'suite' | 'check'>;
  readonly checkDurationSeconds: Gauge<'suite' | 'check'>;
  readonly checkLastRunTimestampSeconds: Gauge<'suite' | 'check'>;
  readonly syncLastSuccessTimestampSeconds: Gauge<'flow'>;
  readonly syncConsecutiveFailures: Gauge<'flow'>;
  readonly syncObjectsTotal: Counter<'flow' | 'result'>;
  readonly syncBytesTotal: Counter<'flow'>;
  readonly syncDurationSeconds: Gauge<'flow'>;
  readonly syncIntegrityRatio: Gauge<'flow'>;
  readonly rpoSeconds: Gauge<'flow'>;
  readonly tlsCertificateExpiryTimestampSeconds: Gauge<'certificate'>;
  readonly dnsResolversAgreeing: Gauge<'name'>;
  readonly readiness: Gauge;
  readonly readinessScore: Gauge;
  readonly runbookStepDurationSeconds: Gauge<'runbook' | 'step'>;
  readonly estimatedRtoSeconds: Gauge;
  readonly contingency: Gauge;
  readonly leader: Gauge;
  readonly storeUp: Gauge;
  /** Sets the three dr_check_* gauges of one check from its Result. */
  projectCheck(suite: string, check: string, result: Result): void;
  /** Sets dr_readiness, dr_readiness_score, dr_rpo_seconds and dr_estimated_rto_seconds. */
  projectReadiness(readiness: ReadinessGauges): void;
  /** The exposition text, for GET /metrics. */
  text(): Promise<string>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // prom-client names three gauges with a counter's `_total` suffix, which `promtool check
  // metrics` rejects: they go, so that /metrics passes the linter the dashboard's users run.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
  const registers = [registry];

  const checkSuccess = new Gauge({
    name: 'dr_check_success',
    help: '1 if the latest result of this check passed, 0 if it failed, warned or was skipped.',
    labelNames: ['suite', 'check'] as const,
    registers,
  });
  const checkDurationSeconds = new Gauge({
    name: 'dr_check_duration_seconds',
    help: 'How long the latest run of this check took, in seconds.',
    labelNames: ['suite', 'check'] as const,
    registers,
  });
  const checkLastRunTimestampSeconds = new Gauge({
    name: 'dr_check_last_run_timestamp_seconds',
    help: 'Unix time at which the latest run of this check started.',
    labelNames: ['suite', 'check'] as const,
    registers,
  });
  const syncLastSuccessTimestampSeconds = new Gauge({
    name: 'dr_sync_last_success_timestamp_seconds',
    help: 'Unix time at which the last successful (verified) forward sync of this flow finished; absent if none yet.',
    labelNames: ['flow'] as const,
    registers,
  });
  const syncConsecutiveFailures = new Gauge({
    name: 'dr_sync_consecutive_failures',
    help: 'Failed forward sync runs of this flow since its last success (2 or more raises the R4 alert).',
    labelNames: ['flow'] as const,
    registers,
  });
  const syncObjectsTotal = new Counter({
    name: 'dr_sync_objects_total',
    help: 'Objects or items handled by the sync of this flow since the service started, by outcome (copied, unchanged, deleted, failed, quarantined).',
    labelNames: ['flow', 'result'] as const,
    registers,
  });
  const syncBytesTotal = new Counter({
    name: 'dr_sync_bytes_total',
    help: 'Bytes written to the destination by the sync of this flow since the service started.',
    labelNames: ['flow'] as const,
    registers,
  });
  const syncDurationSeconds = new Gauge({
    name: 'dr_sync_duration_seconds',
    help: 'Wall time of the last sync run of this flow, in seconds (a gauge: one run a day is too few for a histogram).',
    labelNames: ['flow'] as const,
    registers,
  });
  const syncIntegrityRatio = new Gauge({
    name: 'dr_sync_integrity_ratio',
    help: 'Share (0..1) of sampled objects or items whose hashes matched between source and destination in the last verification of this flow.',
    labelNames: ['flow'] as const,
    registers,
  });
  const rpoSeconds = new Gauge({
    name: 'dr_rpo_seconds',
    help: 'Age in seconds of the newest source data known to be verified at the standby for this flow (the data that would be lost by failing over now); absent if never verified.',
    labelNames: ['flow'] as const,
    registers,
  });
  const tlsCertificateExpiryTimestampSeconds = new Gauge({
    name: 'dr_tls_certificate_expiry_timestamp_seconds',
    help: 'Unix time at which this TLS certificate of the standby expires.',
    labelNames: ['certificate'] as const,
    registers,
  });
  const dnsResolversAgreeing = new Gauge({
    name: 'dr_dns_resolvers_agreeing',
    help: 'Number of configured resolvers whose answer for this name matches the expected address.',
    labelNames: ['name'] as const,
    registers,
  });
  const readiness = new Gauge({
    name: 'dr_readiness',
    help: '1 if the standby is ready to be activated (every check passes, not stale, and every flow within the RPO), 0 otherwise.',
    registers,
  });
  const readinessScore = new Gauge({
    name: 'dr_readiness_score',
    help: 'Share (0..1) of checks whose latest result passed and is not stale.',
    registers,
  });
  const runbookStepDurationSeconds = new Gauge({
    name: 'dr_runbook_step_duration_seconds',
    help: 'Wall time of this step in the last run of this runbook, in seconds (drills included).',
    labelNames: ['runbook', 'step'] as const,
    registers,
  });
  const estimatedRtoSeconds = new Gauge({
    name: 'dr_estimated_rto_seconds',
    help: 'Recovery time estimated from the last measured activation or drill, in seconds (target 7200 to 14400); absent until one has run.',
    registers,
  });
  const contingency = new Gauge({
    name: 'dr_contingency',
    help: '1 while a contingency is open (from a live activation\'s first act until the rollback\'s DNS cutback or the undo of that act): the standby serves and forward syncs are held; 0 otherwise.',
    registers,
  });
  const leader = new Gauge({
    name: 'dr_leader',
    help: '1 on the process that runs the schedule, the syncs and the runbook steps (the leader among replicas, or a process alone on its store); 0 on a follower.',
    registers,
  });
  const storeUp = new Gauge({
    name: 'dr_store_up',
    help: '1 when the store (SQLite file or PostgreSQL) answered a query at the scrape, 0 when it did not: then no replica acts.',
    registers,
  });
  // An unlabelled gauge starts at 0, which would claim a zero-second RTO.
  estimatedRtoSeconds.remove({});

  return {
    registry,
    checkSuccess,
    checkDurationSeconds,
    checkLastRunTimestampSeconds,
    syncLastSuccessTimestampSeconds,
    syncConsecutiveFailures,
    syncObjectsTotal,
    syncBytesTotal,
    syncDurationSeconds,
    syncIntegrityRatio,
    rpoSeconds,
    tlsCertificateExpiryTimestampSeconds,
    dnsResolversAgreeing,
    readiness,
    readinessScore,
    runbookStepDurationSeconds,
    estimatedRtoSeconds,
    contingency,
    leader,
    storeUp,

    projectCheck(suite, check, result) {
      const labels = { suite, check };
      checkSuccess.set(labels, result.status === 'pass' ? 1 : 0);
      checkDurationSeconds.set(labels, result.durationMs / 1000);
      checkLastRunTimestampSeconds.set(labels, Date.parse(result.startedAt) / 1000);
    },

    projectReadiness(r) {
      readiness.set(r.verdict === 'ready' ? 1 : 0);
      readinessScore.set(r.score);
      contingency.set(r.contingency ? 1 : 0);
      for (const flow of r.rpo) {
        if (flow.seconds === null) rpoSeconds.remove({ flow: flow.flow });
        else rpoSeconds.set({ flow: flow.flow }, flow.seconds);
      }
      if (r.estimatedRtoSeconds === null) estimatedRtoSeconds.remove({});
      else estimatedRtoSeconds.set(r.estimatedRtoSeconds);
    },

    text: () => registry.metrics(),
  };
}
