// An output relay for remote launchers that do not bring a command's output back (PBS's pbsdsh:
// a TM task's output goes to the job's output file). The launcher starts a small relay on the
// node instead of the command (`node -e RELAY HOST PORT TOKEN cmd args…`, the same node binary as
// this process); the relay runs the command and sends its stdout, stderr and exit status back over
// TCP to a RelayServer this process listens with, one per exec(). A token per node tells the
// connections apart and refuses strangers'.
import { randomBytes } from 'node:crypto';
import { createServer, type Socket } from 'node:net';

/** What the relay on a node sent back: the command's output and, once it ended, its exit status. */
export interface Relayed { stdout: string; stderr: string; code?: number }

/** The relay a remote launcher starts on a node (`node -e RELAY HOST PORT TOKEN cmd args…`): it runs the
 * command (with a PATH search, which tm_spawn does not do) and sends back, as JSON lines after the
 * token, base64 chunks of its stdout (`o`) and stderr (`e`), then its exit status (`x`). */
export const RELAY = [
  "const net = require('net'), { spawn } = require('child_process'), os = require('os');",
  'const [host, port, token, cmd, ...args] = process.argv.slice(1);',
  'let ended = false;',
  'const s = net.connect(Number(port), host, () => {',
  "  s.write(token + '\\n');",
  "  const send = (k, v) => s.write(JSON.stringify([k, v]) + '\\n');",
  "  const end = (code) => { if (!ended) { ended = true; s.end(JSON.stringify(['x', code]) + '\\n'); } };",
  "  const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });",
  "  c.stdout.on('data', (d) => send('o', d.toString('base64')));",
  "  c.stderr.on('data', (d) => send('e', d.toString('base64')));",
  "  c.on('error', (e) => { send('e', Buffer.from(cmd + ': ' + e.message + '\\n').toString('base64')); end(127); });",
  "  c.on('close', (code, sig) => end(code ?? 128 + (os.constants.signals[sig] || 0)));",
  '});',
  "s.on('error', (e) => { process.stderr.write('scr relay to ' + host + ':' + port + ': ' + e.message + '\\n'); process.exit(255); });",
].join('\n');

/** One relay's results as they arrive. */
interface RelayRun { out: Buffer[]; err: Buffer[]; code?: number; done: Promise<void>; finish: () => void }

/** Where relays send their results: a TCP listener on this host, for one exec(). */
export class RelayServer {
  readonly #runs = new Map<string, RelayRun>();
  readonly #sockets = new Set<Socket>();
  /** Tokens a relay has connected with: each is good for one connection. */
  readonly #claimed = new Set<string>();
  readonly #server = createServer((sock) => this.#accept(sock));

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, () => resolve((this.#server.address() as { port: number }).port));
    });
  }

  /** A token for one node's relay. */
  expect(node: string): string {
    const token = `${node}.${randomBytes(8).toString('hex')}`;
    let finish!: () => void;
    const done = new Promise<void>((r) => { finish = r; });
    this.#runs.set(token, { out: [], err: [], done, finish });
    return token;
  }

  #accept(sock: Socket): void {
    this.#sockets.add(sock);
    let buf = '';
    let run: RelayRun | undefined;
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      buf += d;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!run) {
          run = this.#runs.get(line);
          // Not one of ours, or a token already used (it is visible in the relay's command line).
          if (!run || this.#claimed.has(line)) { run = undefined; sock.destroy(); return; }
          this.#claimed.add(line);
          continue;
        }
        let msg: [string, string | number];
        try { msg = JSON.parse(line) as [string, string | number]; } catch { sock.destroy(); return; }
        const [k, v] = msg;
        if (k === 'o') run.out.push(Buffer.from(v as string, 'base64'));
        else if (k === 'e') run.err.push(Buffer.from(v as string, 'base64'));
        else if (k === 'x') { run.code = v as number; run.finish(); }
      }
    });
    sock.on('close', () => { this.#sockets.delete(sock); run?.finish(); });
    sock.on('error', () => undefined);
  }

  /** What the relay for `token` sent, once it ended or `graceMs` after the launcher did (its last lines
   * may still be on the way); undefined when it never connected. */
  async result(token: string, graceMs: number): Promise<Relayed | undefined> {
    const run = this.#runs.get(token)!;
    await Promise.race([run.done, new Promise((r) => setTimeout(r, graceMs).unref())]);
    if (run.code === undefined && !run.out.length && !run.err.length) return undefined;
    return { stdout: Buffer.concat(run.out).toString('utf8'), stderr: Buffer.concat(run.err).toString('utf8'), ...(run.code !== undefined ? { code: run.code } : {}) };
  }

  close(): void {
    for (const s of this.#sockets) s.destroy();
    this.#server.close();
  }
}
