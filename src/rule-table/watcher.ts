/**
 * Keeps the current rule table and hot-reloads it when the files change.
 *
 * Contract: an invalid new table NEVER replaces the valid one. The old table keeps serving;
 * the errors are logged and visible in `status()` (and passed to `onReload`, where the service
 * exports them as metrics). A reload whose files are unchanged keeps the same table object.
 *
 * Watching: `fs.watch` on the directory (for a single file, its parent directory), so that an
 * editor's rename-on-save and a ConfigMap's `..data` symlink swap, which replace directory
 * entries rather than write to them, are seen. Events are debounced; every event leads to a
 * full load and a comparison of versions, so spurious events cost a read, not a swap.
 * `reload()` is there for SIGHUP, and for file systems where events do not arrive.
 */
import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pino, type Logger } from 'pino';
import type { RuleTable } from '../rule-table/rule.js';
import { formatRuleError } from './errors.js';
import { loadRuleTable } from './loader.js';

/** The outcome of the last load attempt, and which table serves. */
export interface ReloadStatus {
  /** Whether the last attempt produced a valid table. */
  ok: boolean;
  /** Version of the table that serves ('' before the first successful load). */
  version: string;
  /** Rules in the table that serves. */
  ruleCount: number;
  lastAttemptAt: Date | null;
  lastSuccessAt: Date | null;
  /** The last attempt's errors, formatted (`rules/db.yaml: rules[2]…: …`); empty when ok. */
  errors: string[];
}

export interface RuleTableWatcherOptions {
  logger?: Logger;
  /** Quiet time after the last file event before reloading; default 250 ms. */
  debounceMs?: number;
  /** Called after every load attempt (initial, on file change, or `reload()`). */
  onReload?: (status: ReloadStatus) => void;
  /** Clock, for tests. */
  now?: () => Date;
}

const DEFAULT_DEBOUNCE_MS = 250;
const REWATCH_MS = 1000;

export class RuleTableWatcher {
  private readonly logger: Logger;
  private readonly debounceMs: number;
  private readonly now: () => Date;
  private table: RuleTable | null = null;
  private state: ReloadStatus = { ok: false, version: '', ruleCount: 0, lastAttemptAt: null, lastSuccessAt: null, errors: [] };
  private fsWatcher: FSWatcher | null = null;
  private debounceTimer: NodeJS.Timeout | null = null;
  private rewatchTimer: NodeJS.Timeout | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private running = false;

  constructor(
    private readonly path: string,
    private readonly opts: RuleTableWatcherOptions = {},
  ) {
    this.logger = (opts.logger ?? pino({ level: 'silent' })).child({ component: 'rule-table', path });
    this.debounceMs = opts.debounceMs ?? DEFAULT_DEBOUNCE_MS;
    this.now = opts.now ?? (() => new Date());
  }

  /**
   * Load the table and start watching. Throws an Error listing every formatted error when the
   * table is invalid: the service must not start without a valid table.
   */
  async start(): Promise<RuleTable> {
    if (this.running) return this.current();
    const status = await this.reload();
    if (!status.ok) {
      throw new Error(`invalid rule table at ${this.path}:\n${status.errors.map((e) => `  ${e}`).join('\n')}`);
    }
    this.running = true;
    await this.watchDirectory();
    return this.current();
  }

  /** The table that serves. Throws before a successful `start()`. */
  current(): RuleTable {
    if (!this.table) throw new Error('RuleTableWatcher: no rule table loaded yet (call start() first)');
    return this.table;
  }

  status(): ReloadStatus {
    return { ...this.state, errors: [...this.state.errors] };
  }

  /**
   * Load the files again now (SIGHUP, tests). Swaps the table in only when it is valid and
   * changed. Attempts run one after another, never concurrently. Never rejects.
   */
  reload(): Promise<ReloadStatus> {
    const next = this.chain.then(() => this.attempt());
    this.chain = next;
    return next;
  }

  /** Stop watching. A reload already running completes; no new one starts from file events. */
  stop(): void {
    this.running = false;
    if (this.debounceTimer) clearTimeout(this.debounceTimer);
    if (this.rewatchTimer) clearTimeout(this.rewatchTimer);
    this.debounceTimer = null;
    this.rewatchTimer = null;
    this.fsWatcher?.close();
    this.fsWatcher = null;
  }

  private async attempt(): Promise<ReloadStatus> {
    const at = this.now();
    let errors: string[];
    try {
      const r = await loadRuleTable(this.path);
      if (r.ok) {
        const previous = this.table;
        if (previous?.version !== r.table.version) {
          this.table = r.table;
          this.logger.info(
            { version: r.table.version, previousVersion: previous?.version ?? null, rules: r.table.rules.length, files: r.table.files },
            previous ? 'rule table reloaded' : 'rule table loaded',
          );
        } else {
          this.logger.debug({ version: previous.version }, 'rule table unchanged');
        }
        const serving = this.table!;
        this.state = { ok: true, version: serving.version, ruleCount: serving.rules.length, lastAttemptAt: at, lastSuccessAt: at, errors: [] };
        return this.report();
      }
      errors = r.errors.map(formatRuleError);
    } catch (err) {
      errors = [`${this.path}: ${err instanceof Error ? err.message : String(err)}`];
    }
    this.logger.error({ errors, servingVersion: this.table?.version ?? null }, 'rule table invalid: keeping the table that serves');
    this.state = { ...this.state, ok: false, lastAttemptAt: at, errors };
    return this.report();
  }

  private report(): ReloadStatus {
    const status = this.status();
    try {
      this.opts.onReload?.(status);
    } catch (err) {
      this.logger.warn({ err }, 'onReload callback threw');
    }
    return status;
  }

  private async watchDirectory(): Promise<void> {
    if (!this.running) return;
    let dir = this.path;
    try {
      if (!(await stat(this.path)).isDirectory()) dir = dirname(this.path);
      this.fsWatcher = watch(dir, { persistent: false }, () => this.scheduleReload());
      this.fsWatcher.on('error', (err) => {
        this.logger.warn({ err, dir }, 'watching rule files failed; retrying');
        this.fsWatcher?.close();
        this.fsWatcher = null;
        this.scheduleRewatch();
      });
    } catch (err) {
      this.logger.warn({ err, dir }, 'cannot watch rule files; retrying');
      this.scheduleRewatch();
    }
  }

  private scheduleRewatch(): void {
    if (!this.running || this.rewatchTimer) return;
    this.rewatchTimer = setTimeout(() => {
      this.rewatchTimer = null;
      void this.watchDirectory().then(() => {
        // The files may have changed while nothing watched them.
        if (this.fsWatcher) this.scheduleReload();
      });
    }, REWATCH_MS);
    this.rewatchTimer.unref();
  }

  private scheduleReload(): void {
    if (!this.running) return;
    if (this.debounceTimer) clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = null;
      if (this.running) void this.reload();
    }, this.debounceMs);
    this.debounceTimer.unref();
  }
}
