/** Domain errors; routes map them to HTTP in one place, the CLI to exit codes. */
export class DomainError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad input from a person: wrong usage, invalid config. Exit code 2, HTTP 400. */
export class UsageError extends DomainError {
  constructor(message: string) {
    super(message, 'usage');
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
