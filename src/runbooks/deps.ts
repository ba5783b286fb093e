/** What the runbooks act on and read: the same adapters, engines and checks the service runs. */
import type { Adapters } from '../adapters/index.js';
import type { ControlPlane } from '../adapters/control.js';
import type { CheckRunner } from '../checks/runner.js';
import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { Resolver } from '../core/ports.js';
import type { RunView } from '../core/runbook.js';
import type { MessageRecord, Store } from '../store/types.js';
import type { SyncService } from '../sync/service.js';
import type { Communications } from './communications.js';

export interface RunbookDeps {
  config: Config;
  store: Store;
  adapters: Adapters;
  control: ControlPlane;
  syncs: SyncService;
  checks: CheckRunner;
  /** One client per configured public resolver. */
  resolvers: Resolver[];
  comms: Communications;
  clock: Clock;
  /**
   * The post-rollback report (R13.5) as Markdown, from the run, the divergences its steps found,
   * its messages and its reverse-pass steps; `now` times a run not yet finished. Reports are laid
   * out above the runbooks (src/reporting, reports/), so the wiring hands the rollback this.
   */
  postRollbackReport(run: RunView, divergences: string[], messages: MessageRecord[], reversePassSteps: readonly string[], now: Date): string;
}
