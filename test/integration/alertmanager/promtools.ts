/**
 * The promtools the alert rules must satisfy: Debian's 2.42 (what the project's users run
 * beside Debian's Prometheus) and the current Prometheus 3's, built from its Go module
 * (`npm run components -- promtool`). Prometheus 3 changed semantics the rules could trip
 * on (left-open range selectors, renamed functions, stricter parsing), so every promtool
 * test runs once per promtool: `describePerPromtool` declares the suite for each, skipping
 * an absent one with the command that gets it (failing instead under CI=true).
 */
import { describeWithBinaries } from '../../helpers/binaries.js';
import { component, componentVersion, describeWithComponents } from '../../helpers/components.js';

export interface Promtool {
  /** How the suite names it. */
  label: string;
  /** The executable: a name on PATH or an absolute path. */
  bin: string;
}

/** Declares `fn(promtool)` as one describe block per promtool. */
export function describePerPromtool(title: string, fn: (promtool: Promtool) => void): void {
  describeWithBinaries({ promtool: 'prometheus' }, `${title} (Debian promtool 2.42)`, () => fn({ label: 'debian', bin: 'promtool' }));
  const built = component('promtool');
  describeWithComponents(['promtool'], `${title} (promtool ${componentVersion('promtool')}, Prometheus 3)`, () => fn({ label: 'prometheus-3', bin: built ?? 'promtool' }));
}
