#!/usr/bin/env node
/**
 * autoremediator serve | check [--cluster] <rules> | test <tests> | plan <payload> | replay <id> | sandbox [load]
 *
 * Parsed by commander: every command has --help (its options and examples), the program
 * has --version, and an unknown option or a missing argument is an error that names it
 * (exit 1) before any command runs. A command's action returns its exit code; -1 means
 * "keeps running" (serve, sandbox): the exit code is then set by the signal handler.
 */
import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError } from './config/config.js';
import { buildInfo } from './platform/build-info.js';
import { ListenError } from './platform/listen.js';

/** A whole number from min to max, or an error naming the option's value. */
function integer(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}.`);
    return n;
  };
}

function number(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number of at least 0.');
  return n;
}

const examples = (...lines: string[]): string => `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;

export function buildProgram(setExitCode: (code: number) => void): Command {
  const program = new Command('autoremediator')
    .description('Turns Prometheus alerts into safe, explained, automatic Kubernetes scaling.')
    .version(`${buildInfo.version} (revision ${buildInfo.revision}, Node.js ${buildInfo.node})`, '-V, --version', 'print the version and exit')
    .helpCommand('help [command]', 'show help for a command')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', examples('autoremediator serve --help', 'autoremediator check rules/', 'autoremediator sandbox'));

  program
    .command('serve')
    .summary('run the service (configured from the environment)')
    .description('Run the service. Configuration comes from the environment (PORT, DATABASE_URL, WEBHOOK_TOKEN, ADMIN_TOKEN, ...; see the README\'s configuration table); serve has no options of its own.')
    .addHelpText('after', examples('WEBHOOK_TOKEN=... ADMIN_TOKEN=... DATABASE_URL=sqlite:./data/autoremediator.db autoremediator serve', 'INSECURE_NO_AUTH=true PORT=9000 autoremediator serve'))
    .action(async () => {
      const { runServe } = await import('./commands/serve.js');
      setExitCode(await runServe());
    });

  program
    .command('check')
    .summary('validate rule files: exit 0, or 1 with every error')
    .description('Validate rule files the way promtool check rules does: exit 0, or 1 listing every error with file and key.')
    .argument('<paths...>', 'rule directories or files')
    .option('--cluster', 'also ask the cluster (SelfSubjectAccessReview) whether every verb the rules need on their targets, in ALLOWED_NAMESPACES, is allowed; names each missing permission')
    .option('--kubeconfig <file>', 'with --cluster: the identity to ask as (default: KUBECONFIG, KUBE_API_URL + KUBE_TOKEN, or in-cluster)')
    .addHelpText('after', examples('autoremediator check rules/', 'autoremediator check rules/ci-failure-agent.yaml other-rules/', 'ALLOWED_NAMESPACES=ci autoremediator check --cluster rules/'))
    .action(async (paths: string[], opts: { cluster?: boolean; kubeconfig?: string }) => {
      if (opts.cluster) {
        const { runClusterCheck } = await import('./commands/check-cluster.js');
        const write = (stream: NodeJS.WriteStream) => (s: string) => stream.write(s.endsWith('\n') ? s : `${s}\n`);
        setExitCode(await runClusterCheck(paths, opts, { stdout: write(process.stdout), stderr: write(process.stderr) }));
        return;
      }
      const { checkRules, formatCheckReport } = await import('./rule-table/check.js');
      const result = await checkRules(paths);
      const report = formatCheckReport(result);
      (result.ok ? process.stdout : process.stderr).write(report.endsWith('\n') ? report : `${report}\n`);
      setExitCode(result.ok ? 0 : 1);
    });

  program
    .command('test')
    .summary('run rule tests: the decisions expected for alerts, a cluster, a history and a time')
    .description(
      'Run rule unit tests, in the spirit of promtool test rules: each test gives alerts, the cluster state, earlier actions, Prometheus answers and a time, and the decisions expected (act before → after, or skip with a reason). ' +
        'Decided by the service\'s own engine against a sandbox cluster; prints SUCCESS, or FAILED with what was expected and what was got; exit 1 when a test fails or a file is invalid.',
    )
    .argument('<files...>', 'test files (YAML)')
    .addHelpText('after', examples('autoremediator test rules/tests/*.yaml'))
    .action(async (files: string[]) => {
      const { runTests } = await import('./commands/test.js');
      setExitCode(await runTests(files));
    });

  program
    .command('plan')
    .summary('show what the rules would do with a notification')
    .description(
      'Show which rules an Alertmanager notification matches and what each would do, recording and applying nothing. ' +
        'Given the service\'s store and cluster it decides as the service would (cooldowns, runs in progress, budgets, breakers, current replicas); without them it says what it could not know.',
    )
    .argument('<payload>', 'a webhook notification as Alertmanager sends it (JSON file)')
    .option('--rules <dir>', 'rule directory or file', './rules')
    .option('--store <url>', 'the service\'s store, in DATABASE_URL syntax (sqlite:./data/autoremediator.db, postgres://...)')
    .option('--kubeconfig <file>', 'the cluster to read (default: KUBECONFIG or KUBE_API_URL from the environment)')
    .addHelpText(
      'after',
      examples(
        'autoremediator plan examples/alerts/firing-group-HighPodCPU-3-alerts.json',
        'autoremediator plan alert.json --rules rules/ --store sqlite:./data/autoremediator.db --kubeconfig ~/.kube/config',
      ),
    )
    .action(async (payload: string, opts: { rules: string; store?: string; kubeconfig?: string }) => {
      const { runPlan } = await import('./commands/plan.js');
      setExitCode(await runPlan(await readFile(payload), opts));
    });

  program
    .command('replay')
    .summary('re-run a recorded alert on a running service')
    .description('Re-run a recorded alert through today\'s rules on a running service (a dry-run preview unless --apply). ADMIN_TOKEN comes from the environment.')
    .argument('<alertId>', 'the id of a stored alert (GET /api/v1/alerts)')
    .option('--url <url>', 'the running service', 'http://127.0.0.1:8000')
    .option('--apply', 'act on the decision instead of previewing it', false)
    .addHelpText('after', examples('ADMIN_TOKEN=... autoremediator replay 01J9Z... --url http://127.0.0.1:8000', 'ADMIN_TOKEN=... autoremediator replay 01J9Z... --apply'))
    .action(async (alertId: string, opts: { url: string; apply: boolean }) => {
      const { runReplay } = await import('./commands/replay.js');
      setExitCode(await runReplay(alertId, opts.url, !opts.apply));
    });

  // pause and resume parse their own options (src/commands/pause.ts), so that the same functions
  // serve any CLI; --help is theirs too and lists every option.
  for (const name of ['pause', 'resume'] as const) {
    program
      .command(name)
      .summary(name === 'pause' ? 'stop a running service from acting (the kill switch), everywhere or for a namespace, target or rule' : 'end the pauses of a scope')
      .helpOption(false)
      .allowUnknownOption()
      .allowExcessArguments()
      .argument('[options...]', 'see autoremediator ' + name + ' --help')
      .action(async (args: string[]) => {
        const { runPause, runResume } = await import('./commands/pause.js');
        setExitCode(await (name === 'pause' ? runPause : runResume)(args));
      });
  }

  const sandbox = program
    .command('sandbox')
    .summary('a simulated cluster with the service wired to it (quick start, demo)')
    .description('Start a simulated Kubernetes cluster and the service wired to it (the quick start); with --with-prometheus also Prometheus and Alertmanager, with a live timeline (the demo).')
    .addOption(new Option('--port <port>', 'the service\'s port (0: any free one)').env('PORT').default(8000).argParser(integer(0, 65535)))
    .option('--api-port <port>', 'the simulated API server\'s port (0: any free one)', integer(0, 65535), 0)
    .option('--data-dir <dir>', 'where the store and the kubeconfig are written', './data')
    .option('--ready-delay <ms>', 'how long simulated pods take to become Ready', integer(0, 600_000), 2000)
    .option('--keep-history', 'keep the store of the previous sandbox run (cooldowns included)', false)
    .option('--with-prometheus', 'the demo: also run Prometheus and Alertmanager (Debian packages prometheus, prometheus-alertmanager) and raise the load', false)
    .option('--rules <dir>', 'demo only: the rule table to run, every time ÷60 (default: the package\'s rules/)')
    .option('--no-load', 'demo only: do not raise the load by itself')
    .option('--stop-after <seconds>', 'demo only: stop after this many seconds', integer(1, 86_400))
    .addHelpText(
      'after',
      examples(
        'autoremediator sandbox',
        'autoremediator sandbox --port 9000 --data-dir /tmp/sandbox',
        'autoremediator sandbox --with-prometheus          (npm run demo)',
        'autoremediator sandbox load --url http://127.0.0.1:PORT --rps 1500',
      ),
    )
    .action(
      async (opts: { port: number; apiPort: number; dataDir: string; readyDelay: number; keepHistory: boolean; withPrometheus: boolean; rules?: string; load: boolean; stopAfter?: number }) => {
        const common = { port: opts.port, apiPort: opts.apiPort, dataDir: opts.dataDir, readyDelayMs: opts.readyDelay };
        if (opts.withPrometheus) {
          const { runDemo } = await import('./commands/demo.js');
          setExitCode(await runDemo({ ...common, rules: opts.rules, load: opts.load, stopAfterSeconds: opts.stopAfter }));
          return;
        }
        const demoOnly: string[] = (['rules', 'stopAfter'] as const).filter((k) => opts[k] !== undefined).map((k) => (k === 'rules' ? '--rules' : '--stop-after'));
        if (!opts.load) demoOnly.push('--no-load');
        if (demoOnly.length) sandbox.error(`error: ${demoOnly.join(', ')} only apply with --with-prometheus`);
        const { runSandbox } = await import('./commands/sandbox.js');
        setExitCode(await runSandbox({ ...common, keepHistory: opts.keepHistory }));
      },
    );

  sandbox
    .command('load')
    .summary('change the offered load of a running sandbox')
    .description('Change the offered load of a running sandbox (what its simulated workload receives).')
    .addOption(new Option('--url <url>', 'the sandbox\'s API server').env('SANDBOX_URL'))
    .option('--rps <n>', 'API requests per second', number)
    .option('--messages-per-second <n>', 'queue messages per second', number)
    .addOption(new Option('--profile <type>', 'change over time instead of at once').choices(['step', 'ramp', 'spike']))
    .option('--to <n>', 'the profile\'s final value', number)
    .option('--duration <seconds>', 'the profile\'s duration', number, 0)
    .addOption(new Option('--target <what>', 'what the profile changes').choices(['rps', 'messagesPerSecond']))
    .option('--steps <n>', 'steps of a step profile', integer(1, 1000))
    .addHelpText('after', examples('autoremediator sandbox load --url http://127.0.0.1:PORT                  (print the load)', 'autoremediator sandbox load --url http://127.0.0.1:PORT --rps 1500', 'autoremediator sandbox load --url http://127.0.0.1:PORT --profile ramp --to 900 --duration 10'))
    .action(async (opts: { url?: string; rps?: number; messagesPerSecond?: number; profile?: string; to?: number; duration: number; target?: string; steps?: number }) => {
      const { runSandboxLoad } = await import('./commands/demo.js');
      setExitCode(await runSandboxLoad({ ...opts, durationSeconds: opts.duration }));
    });

  return program;
}

let exitCode = 0;
buildProgram((code) => {
  exitCode = code;
})
  .parseAsync(process.argv)
  .then(
    () => {
      if (exitCode !== -1) process.exitCode = exitCode;
    },
    (err: unknown) => {
      // Errors a person can act on are one message; anything else keeps its stack.
      if (err instanceof ConfigError || err instanceof ListenError) process.stderr.write(`autoremediator: ${err.message}\n`);
      else process.stderr.write(`autoremediator: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
