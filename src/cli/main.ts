#!/usr/bin/env node
import cluster from 'node:cluster';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError, loadConfig, PROCESSES_RULE, processCount, type Config } from '../config.js';
import { DomainError } from '../shared/errors.js';
import { ImportFailed } from '../import/service.js';
import {
  demoCommand,
  importCommand,
  keysCreateCommand,
  keysListCommand,
  keysRevokeCommand,
  migrateCommand,
  seedCommand,
  serveCommand,
  workerCommand,
} from './commands.js';

function integer(min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
    return n;
  };
}

function processes(value: string): number {
  const n = processCount(value);
  if (n === undefined) throw new InvalidArgumentError(PROCESSES_RULE);
  return n;
}

function partnerId(value: string): string {
  if (!/^[0-9a-f]{24}$/.test(value)) throw new InvalidArgumentError('must be a 24-character lowercase hex id');
  return value;
}

let config: Config | undefined;
function cfg(): Config {
  config ??= loadConfig();
  return config;
}

const program = new Command()
  .name('kassa')
  .description('Kassa: the orders API of an event-ticketing platform')
  .showHelpAfterError()
  .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });

const serveOptions = (cmd: Command) =>
  cmd
    .addOption(new Option('--port <n>', 'port to listen on (default: PORT or 8080)').argParser(integer(0, 65535)))
    .addOption(new Option('--host <host>', 'address to listen on (default: HOST or 127.0.0.1)'))
    .option('--no-worker', 'do not run the export worker in this process');

serveOptions(program.command('serve').description('serve the HTTP API (applies pending migrations first)'))
  .addOption(new Option('--processes <n>', 'API processes on the port: a number or "auto", one per core (default: API_PROCESSES or 1)').argParser(processes))
  .action(async (opts: { port?: number; host?: string; worker: boolean; processes?: number }) => {
    const c = cfg();
    await serveCommand(c, { port: opts.port ?? c.port, host: opts.host ?? c.host, worker: opts.worker, processes: opts.processes ?? c.apiProcesses });
  });

serveOptions(program.command('demo').description('seed demo data into an empty database, print a fresh API key and serve')).action(
  async (opts: { port?: number; host?: string; worker: boolean }) => {
    const c = cfg();
    await demoCommand(c, { port: opts.port ?? c.port, host: opts.host ?? c.host, worker: opts.worker });
  },
);

program
  .command('worker')
  .description('run the export worker only (applies pending migrations first)')
  .action(async () => workerCommand(cfg()));

program
  .command('migrate')
  .description('apply pending database migrations and exit')
  .action(async () => migrateCommand(cfg()));

program
  .command('seed')
  .description("write deterministic demo data and print the demo partners' API keys")
  .addOption(new Option('--orders <n>', 'number of orders').argParser(integer(0, 100_000_000)).default(1000))
  .addOption(new Option('--seed <s>', 'random seed').argParser(integer(0, 2 ** 31 - 1)).default(1))
  .addOption(new Option('--organisers <n>', 'how many demo organisers own events (1 puts every order in one tenant)').argParser(integer(1, 5)))
  .action(async (opts: { orders: number; seed: number; organisers?: number }) => seedCommand(cfg(), opts));

program
  .command('import')
  .description('import NDJSON partners, events and orders (all-or-nothing); FILE "-" reads stdin')
  .argument('<file>', 'NDJSON file')
  .action(async (file: string) => importCommand(cfg(), file));

const keys = program.command('keys').description('manage API keys');
keys
  .command('create')
  .description('create an API key; prints only the token on stdout')
  .requiredOption('--partner <id>', 'partner id', partnerId)
  .option('--name <label>', 'a label for the key')
  .action(async (opts: { partner: string; name?: string }) => keysCreateCommand(cfg(), opts.partner, opts.name));
keys
  .command('list')
  .description('list API keys (never the tokens)')
  .option('--partner <id>', 'only this partner', partnerId)
  .option('--json', 'print JSON')
  .action(async (opts: { partner?: string; json?: boolean }) => keysListCommand(cfg(), opts.partner, opts.json === true));
keys
  .command('revoke')
  .description('revoke an API key')
  .argument('<key-id>', 'the key id shown by `keys list`')
  .action(async (keyId: string) => keysRevokeCommand(cfg(), keyId));

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof ConfigError || err instanceof ImportFailed || err instanceof DomainError) {
    process.stderr.write(`kassa: ${err.message}\n`);
  } else {
    process.stderr.write(`kassa: ${err instanceof Error ? err.message : String(err)}\n`);
  }
  process.exitCode = 1;
  // An API process of `serve --processes N` that failed (say, its port is
  // taken): the channel to the primary and its open handles would keep it
  // alive; the primary decides whether to start another.
  if (cluster.isWorker) process.exit(1);
}
