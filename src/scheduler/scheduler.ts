/**
 * Scheduled jobs (node-cron), one named function per job. With several replicas
 * on PostgreSQL, each run takes a store-wide lock so one replica runs a job at a time.
 */
import cron from 'node-cron';
import type { Logger } from '../platform/logger.js';
import type { Store } from '../store/store.js';

export interface Job {
  name: string;
  /** node-cron expression, seconds field included. */
  schedule: string;
  run: () => Promise<unknown>;
}

export interface Scheduler {
  stop(): void;
  /** Run one job now (tests, SIGHUP-like pokes). */
  runNow(name: string): Promise<unknown>;
}

export function startScheduler(jobs: readonly Job[], store: Store, logger: Logger): Scheduler {
  const running = new Set<string>();
  const runGuarded = async (job: Job): Promise<unknown> => {
    // Skip a tick while the previous run of the same job is still going.
    if (running.has(job.name)) return undefined;
    running.add(job.name);
    try {
      return await store.withTargetLock(`job:${job.name}`, job.run);
    } catch (err) {
      logger.error({ err, job: job.name }, 'scheduled job failed');
      return undefined;
    } finally {
      running.delete(job.name);
    }
  };
  const tasks = jobs.map((job) => {
    if (!cron.validate(job.schedule)) throw new Error(`job ${job.name}: invalid schedule "${job.schedule}"`);
    return cron.schedule(job.schedule, () => void runGuarded(job), { name: job.name, noOverlap: true });
  });
  return {
    stop() {
      for (const t of tasks) void t.stop();
    },
    runNow(name) {
      const job = jobs.find((j) => j.name === name);
      if (!job) return Promise.reject(new Error(`no job ${name}`));
      return runGuarded(job);
    },
  };
}
