/** What the HTTP API and the CLI ask of the runbooks: start one, by a known caller. */
import type { Caller, RunView } from './engine.js';

export interface ActivationRequest {
  scenario: string;
  reason: string;
  dryRun: boolean;
  /** CTO only: start although the last verified sync is older than the RPO. */
  overrideRpo?: string;
}

export interface RollbackRequest {
  reason: string;
  dryRun: boolean;
  since?: Date;
}

export type DrillMode = 'dry-run' | 'game-day';

export interface RunStarter {
  activate(request: ActivationRequest, by: Caller): Promise<RunView>;
  rollback(request: RollbackRequest, by: Caller): Promise<RunView>;
  drill(mode: DrillMode, by: Caller): Promise<RunView>;
}
