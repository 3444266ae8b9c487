/**
 * Errors the core raises for a request it cannot carry out. They say what is wrong in
 * domain words; http/errors.ts maps them to status codes (the engine knows no HTTP).
 */
export class NotFoundError extends Error {
  readonly code = 'not-found';
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

/** The run is in a phase that does not allow the request (e.g. a manual rollback of a failed run). */
export class WrongPhaseError extends Error {
  readonly code = 'wrong-phase';
  constructor(message: string) {
    super(message);
    this.name = 'WrongPhaseError';
  }
}

/** The live state moved on since the run (e.g. a manual rollback of an older run): refused, nothing changed. */
export class StateChangedError extends Error {
  readonly code = 'state-changed';
  constructor(message: string) {
    super(message);
    this.name = 'StateChangedError';
  }
}

/** This process may no longer drive the run (its lease is gone or could not be renewed): nothing was written. */
export class LeaseLostError extends Error {
  readonly code = 'lease-lost';
  constructor(message: string) {
    super(message);
    this.name = 'LeaseLostError';
  }
}
