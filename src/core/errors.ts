/** Domain errors; routes map them to HTTP in one place, the CLI to exit codes. */
export class DomainError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * Bad input from a person: wrong usage, invalid config. Exit code 2, HTTP 400. The command
 * line repeats the usage after it unless the syntax was right and something else was wrong
 * (`showUsage: false`: a token the service refused, a server that does not answer).
 */
export class UsageError extends DomainError {
  readonly showUsage: boolean;

  constructor(message: string, opts: { showUsage?: boolean } = {}) {
    super(message, 'usage');
    this.showUsage = opts.showUsage ?? true;
  }
}

export class NotFoundError extends DomainError {
  constructor(message: string) {
    super(message, 'not-found');
  }
}

export class ConflictError extends DomainError {
  constructor(message: string) {
    super(message, 'conflict');
  }
}

/** A capability the product does not offer yet: said plainly, exit code 2, HTTP 501. */
export class NotAvailableError extends DomainError {
  constructor(capability: string) {
    super(`${capability} is not available in this version of drsentinel yet`, 'not-available');
  }
}

/** The caller is known but may not do this (a role they do not hold). HTTP 403. */
export class ForbiddenError extends DomainError {
  constructor(message: string) {
    super(message, 'forbidden');
  }
}

/**
 * A write from a replica that no longer leads: its lease ran out or passed to another replica
 * (a pause, a partition). Nothing was written; the replica stops acting. HTTP 503.
 */
export class FencedError extends DomainError {
  constructor(message: string) {
    super(message, 'fenced');
  }
}

/** The store does not answer: nothing can be decided or recorded. HTTP 503. */
export class StoreUnavailableError extends DomainError {
  constructor(message: string) {
    super(message, 'store-unavailable');
  }
}
