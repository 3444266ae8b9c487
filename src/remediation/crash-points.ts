/**
 * Test support for the journal: with AUTOREMEDIATOR_CRASH_AT=<point> the process
 * SIGKILLs itself at that point of a remediation, so a test can restart it and
 * check that the run ends consistent and the action was applied exactly once.
 * Points: `planned`, `awaiting_approval`, `applying`, `validating`, `rolling_back`
 * (just after that transition is stored), `approved` (the approval stored as
 * `awaiting_approval → planned`, nothing applied yet), `apply` (after the change,
 * before `validating` is stored) and `restore` (after the rollback, before
 * `rolled_back` is stored).
 */
const point = process.env.AUTOREMEDIATOR_CRASH_AT;

export function crashPoint(name: string): void {
  if (point !== undefined && point === name) process.kill(process.pid, 'SIGKILL');
}
