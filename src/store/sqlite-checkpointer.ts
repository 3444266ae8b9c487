/**
 * WAL checkpoints on a background thread. SQLite's automatic checkpoint runs inside the
 * commit that crosses 1,000 WAL pages, on the thread that commits: here the event loop,
 * which then copies ~4 MiB into the database file and fsyncs it while requests wait
 * (measured: a 50-alert notification's commit p99 13 ms with it, 5.5 ms without). SQLite's
 * own advice for latency is to turn automatic checkpoints off and run them elsewhere: a
 * worker thread with its own connection runs PASSIVE checkpoints (they never wait for,
 * nor block, readers or the writer) whenever the WAL has frames to copy.
 *
 * The worker is plain JavaScript evaluated from a string (no second file to find in the
 * bundle, the tsc output or the tests) and loads better-sqlite3 from where this module
 * resolves it. It costs ~9 MiB of RSS, so the store starts it only once its WAL has grown
 * past a threshold. If the worker cannot run, the store turns automatic checkpoints back on.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export interface CheckpointerOptions {
  /** Pause between checkpoints once the WAL is fully copied; while frames remain, it goes on at once. */
  idleMs?: number;
}

/** What the worker reports: ready (its connection is open), frames copied since its last report, or an error. */
type WorkerMessage =
  | { type: 'ready' }
  | { type: 'checkpoint'; copied: number }
  | { type: 'error'; message: string };

const WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
let db;
try {
  db = new Database(workerData.file, { fileMustExist: true });
  db.pragma('busy_timeout = 0');
} catch (err) {
  parentPort.postMessage({ type: 'error', message: String(err && err.message || err) });
  process.exit(1);
}
let stopping = false;
parentPort.on('message', (m) => { if (m === 'stop') stopping = true; });
parentPort.postMessage({ type: 'ready' });
// PASSIVE reports the WAL's totals (frames in it, frames copied so far), not what this pass
// copied: an idle WAL reads the same on every look. Report progress only, as frames copied
// since the last report (the WAL restarting from its start begins a new count).
let last = { log: 0, checkpointed: 0 };
function tick() {
  if (stopping) { db.close(); process.exit(0); }
  let caughtUp = true;
  try {
    const r = db.pragma('wal_checkpoint(PASSIVE)')[0];
    caughtUp = r.log === r.checkpointed;
    if (r.log !== last.log || r.checkpointed !== last.checkpointed) {
      const sameRound = r.log >= last.log && r.checkpointed >= last.checkpointed;
      const copied = sameRound ? r.checkpointed - last.checkpointed : r.checkpointed;
      if (copied > 0) parentPort.postMessage({ type: 'checkpoint', copied });
      last = { log: r.log, checkpointed: r.checkpointed };
    }
  } catch (err) {
    // SQLITE_BUSY (another checkpoint running) or a transient I/O error: try again later.
    caughtUp = true;
  }
  setTimeout(tick, caughtUp ? workerData.idleMs : 5);
}
tick();
`;

export class WalCheckpointer {
  /** Checkpoints that copied frames, and frames copied in all (counted across WAL restarts). */
  readonly stats = { checkpoints: 0, framesCheckpointed: 0 };
  readonly ready: Promise<void>;
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private readonly onFailure: (err: Error) => void;
  private stopped = false;
  private failed = false;

  /**
   * @param onFailure called once if the worker fails to open the database or dies; the
   *   caller turns automatic checkpoints back on.
   */
  constructor(file: string, onFailure: (err: Error) => void, options: CheckpointerOptions = {}) {
    this.onFailure = onFailure;
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver, file, idleMs: options.idleMs ?? 100 },
      // A small heap: the worker holds one connection and a timer.
      resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 },
    });
    // Never what keeps the process alive.
    this.worker.unref();
    this.ready = new Promise((resolve, reject) => {
      this.worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'checkpoint') {
          this.stats.checkpoints += 1;
          this.stats.framesCheckpointed += m.copied;
        } else if (m.type === 'error') {
          const err = new Error(`WAL checkpointer: ${m.message}`);
          reject(err);
          this.fail(err);
        }
      });
      this.worker.on('error', (err) => {
        reject(err);
        this.fail(err);
      });
      this.worker.on('exit', (code) => {
        const err = new Error(`WAL checkpointer exited (code ${code})`);
        reject(err);
        this.fail(err);
      });
    });
    this.ready.catch(() => undefined);
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
  }

  /** Ask the worker to close its connection and exit; terminated if it has not within timeoutMs. */
  async stop(timeoutMs = 2000): Promise<void> {
    this.stopped = true;
    this.worker.postMessage('stop');
    const timer = setTimeout(() => void this.worker.terminate(), timeoutMs);
    try {
      await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  private fail(err: Error): void {
    if (this.failed || this.stopped) return;
    this.failed = true;
    this.onFailure(err);
  }
}
