#!/usr/bin/env node
/**
 * autoremediator serve | check <rules> | plan <payload> | replay <id> | sandbox
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ConfigError } from './config/config.js';

const USAGE = `usage: autoremediator <command> [options]

commands:
  serve                    run the service (configuration from the environment; see README)
  check <dir|file>...      validate rule files like promtool check rules: exit 0, or 1 with every error
  plan <payload.json>      show which rules an Alertmanager notification matches and what they would do
                           (--rules DIR, default ./rules; reads cluster state when a cluster is configured)
  replay <alertId>         re-run a recorded alert through today's rules on a running service
                           (--url URL, default http://127.0.0.1:8000; ADMIN_TOKEN from the environment;
                           --apply to act instead of a dry-run preview)
  pause [scope] --reason T stop a running service from acting (kill switch): everything, or --namespace NS,
                           --target NS/KIND/NAME or --rule NAME; --for 2h | --until RFC3339; --list shows pauses
                           (--url URL, default http://127.0.0.1:8000; ADMIN_TOKEN from the environment; --actor)
  resume [scope]           end the pauses of that scope
  sandbox                  start a simulated cluster and the service wired to it (quick start)
                           (--with-prometheus: also Prometheus and Alertmanager, with a live timeline;
                           "sandbox load --url <sandbox> --rps N" changes the simulated load)
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve': {
      const { runServe } = await import('./commands/serve.js');
      return runServe();
    }
    case 'check': {
      const { checkRules, formatCheckReport } = await import('./rule-table/check.js');
      if (rest.length === 0) {
        process.stderr.write('autoremediator check: name at least one rules directory or file\n');
        return 2;
      }
      const result = await checkRules(rest);
      const report = formatCheckReport(result);
      (result.ok ? process.stdout : process.stderr).write(report.endsWith('\n') ? report : `${report}\n`);
      return result.ok ? 0 : 1;
    }
    case 'plan': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { rules: { type: 'string', default: './rules' } } });
      if (positionals.length !== 1) {
        process.stderr.write('autoremediator plan: give exactly one payload file\n');
        return 2;
      }
      const { runPlan } = await import('./commands/plan.js');
      return runPlan(await readFile(positionals[0]!), values.rules);
    }
    case 'replay': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { url: { type: 'string', default: 'http://127.0.0.1:8000' }, apply: { type: 'boolean', default: false } },
      });
      if (positionals.length !== 1) {
        process.stderr.write('autoremediator replay: give exactly one alert id\n');
        return 2;
      }
      const { runReplay } = await import('./commands/replay.js');
      return runReplay(positionals[0]!, values.url, !values.apply);
    }
    case 'pause': {
      const { runPause } = await import('./commands/pause.js');
      return runPause(rest);
    }
    case 'resume': {
      const { runResume } = await import('./commands/pause.js');
      return runResume(rest);
    }
    case 'sandbox': {
      const { runSandbox } = await import('./commands/sandbox.js');
      return runSandbox(rest);
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`autoremediator: unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== -1) process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ConfigError) process.stderr.write(`autoremediator: ${err.message}\n`);
    else process.stderr.write(`autoremediator: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
