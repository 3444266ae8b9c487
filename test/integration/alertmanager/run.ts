/** Run a command to completion and keep what it said, whatever its exit code. */
import { execFile } from 'node:child_process';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Rejects only when the command cannot be started (or is killed by the timeout). */
export function run(cmd: string, args: readonly string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd: options.cwd, timeout: options.timeoutMs ?? 10_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err === null) {
        resolve({ code: 0, stdout, stderr });
      } else if (typeof err.code === 'number' && !err.killed) {
        resolve({ code: err.code, stdout, stderr });
      } else {
        reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stderr}`));
      }
    });
  });
}
