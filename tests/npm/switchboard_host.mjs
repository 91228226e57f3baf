// The real `switchboard serve` as a user runs it, on a config of the test's own, for the npm
// client tests. CTest sets the environment (tests/npm/CMakeLists.txt).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run these tests through CTest (ctest -L npm), which sets ` +
                    'SWITCHBOARD_BIN, SWITCHBOARD_PLUGIN_DIR and SWITCHBOARD_NODE_MODULES');
  }
  return value;
}

// `require` for the clients npm_install put in the build folder, not the source tree.
export const requireClient = createRequire(path.join(required('SWITCHBOARD_NODE_MODULES'), '_'));

export function sha256Hex(text) {
  return createHash('sha256').update(text).digest('hex');
}

const startDeadlineMs = 20_000;

// A running host. `url` is what it printed; `output` is everything it wrote so far, stdout and
// stderr, so tests can check what it logged (and never a key).
export class SwitchboardHost {
  #child;
  #exited;
  #dir;
  #log;

  constructor(child, exited, dir, url, log) {
    this.#child = child;
    this.#exited = exited;
    this.#dir = dir;
    this.#log = log;
    this.url = url;
  }

  get output() {
    return this.#log.text;
  }

  // Starts `switchboard serve` on loopback port 0 with `[host]`/`[cost]` pointing at the built
  // plugins and a scratch ledger, plus `configBody` (backends, services, server), and resolves
  // once it says where it serves.
  static async start(configBody) {
    const dir = mkdtempSync(path.join(tmpdir(), 'switchboard-npm-'));
    const config = path.join(dir, 'switchboard.toml');
    writeFileSync(config, `[host]
default_mode = "mock"
plugin_dirs = [${JSON.stringify(required('SWITCHBOARD_PLUGIN_DIR'))}]
log_level = "info"

[cost]
ledger = "ledger.sqlite"

${configBody}`);
    const child = spawn(required('SWITCHBOARD_BIN'),
                        ['serve', '--config', config, '--listen', '127.0.0.1:0'],
                        { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    const log = { text: '' };
    child.stderr.setEncoding('utf8');
    child.stdout.setEncoding('utf8');
    child.stderr.on('data', (chunk) => { log.text += chunk; });
    child.stdout.on('data', (chunk) => { log.text += chunk; });

    const url = await new Promise((resolve, reject) => {
      let settled = false;  // the exit of a host that did start is stop()'s business
      const fail = (message) => {
        if (settled) return;
        settled = true;
        const text = readFileSync(config, 'utf8');
        rmSync(dir, { recursive: true, force: true });
        reject(new Error(`${message}; it wrote:\n${log.text}\nconfig:\n${text}`));
      };
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        fail(`switchboard serve did not print its URL within ${startDeadlineMs} ms`);
      }, startDeadlineMs);
      const onData = () => {
        const match = /Switchboard is serving on (http:\/\/127\.0\.0\.1:\d+)/.exec(log.text);
        if (match && !settled) {
          settled = true;
          clearTimeout(timer);
          child.stdout.off('data', onData);
          resolve(match[1]);
        }
      };
      child.stdout.on('data', onData);
      child.on('error', (error) => {
        clearTimeout(timer);
        fail(`cannot start ${required('SWITCHBOARD_BIN')}: ${error.message}`);
      });
      exited.then(({ code, signal }) => {
        clearTimeout(timer);
        fail(`switchboard serve exited (code ${code}, signal ${signal}) before serving`);
      });
    });
    return new SwitchboardHost(child, exited, dir, url, log);
  }

  // SIGTERM, then what the process exited with: { code, signal }.
  async stop() {
    this.#child.kill('SIGTERM');
    const status = await this.#exited;
    rmSync(this.#dir, { recursive: true, force: true });
    return status;
  }
}

// A host with one parse service, "documents", on the mock-parse backend (its `settings` TOML
// appended), and the client key `key`.
export function parseServiceConfig(key, settings = '') {
  return `
[server.clients.npm-tests]
key_sha256 = "${sha256Hex(key)}"

[backends.mock-parse]
plugin = "mock-parse"
${settings}

[services.documents]
capability = "parse"
mock = "mock-parse"
`;
}

// The `settings` for parseServiceConfig that make mock-parse fail every call as unavailable.
export const failingParserSettings = `[backends.mock-parse.settings]
failure_rate = 1.0
failure_kind = "unavailable"`;

// SIGTERM, then checks the host exited 0 and never wrote any of `secrets`. Nothing to do for a
// host that never started (its before() has said why).
export async function stopCleanly(host, ...secrets) {
  if (!host) return;
  const status = await host.stop();
  assert.deepEqual(status, { code: 0, signal: null }, `the host must exit 0 on SIGTERM; it wrote:\n${host.output}`);
  for (const secret of secrets) assert.ok(!host.output.includes(secret), 'no key ever appears in the host\'s output');
}

// The error `promise` rejects with, checked to be of `type`.
export async function rejection(promise, type) {
  const error = await promise.then(() => assert.fail(`expected ${type.name}, but the call succeeded`), (e) => e);
  assert.ok(error instanceof type, `expected ${type.name}, got ${error?.constructor?.name}: ${error?.message}`);
  return error;
}
