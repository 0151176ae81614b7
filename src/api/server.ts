// The local admin API: HTTP with JSON bodies on a unix socket (as Docker's and Cilium's are), root-only (the
// socket is 0600 in a 0700 directory), so `curl --unix-socket /run/rackroute/rackroute.sock http://x/v1/status`
// works. Handlers are registered by the agent; this file knows nothing of BGP.
import http from 'node:http';
import net from 'node:net';
import { chmodSync, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';

export const DEFAULT_SOCKET = '/run/rackroute/rackroute.sock';

export interface Request {
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly body: unknown;
}

export type Handler = (req: Request) => unknown | Promise<unknown>;

/** An error a handler throws to answer with a status other than 500. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly keys: readonly string[];
  readonly handler: Handler;
}

export class ApiServer {
  private readonly routes: Route[] = [];
  private server?: http.Server;
  private readonly rawHandlers = new Map<string, () => Promise<{ type: string; body: string }>>();

  /** Registers `GET /v1/neighbors/:peer` style routes. */
  on(method: string, path: string, handler: Handler): this {
    const keys: string[] = [];
    const pattern = new RegExp(`^${path.replace(/:([a-z]+)/g, (_, k: string) => {
      keys.push(k);
      return '([^/]+)';
    })}$`);
    this.routes.push({ method, pattern, keys, handler });
    return this;
  }

  /** A non-JSON GET endpoint (Prometheus text at /metrics). */
  raw(path: string, produce: () => Promise<{ type: string; body: string }>): this {
    this.rawHandlers.set(path, produce);
    return this;
  }

  async listen(socketPath: string): Promise<void> {
    const dir = dirname(socketPath);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (existsSync(socketPath)) {
      if (await socketAnswers(socketPath)) throw new Error(`${socketPath} is in use by a running agent`);
      unlinkSync(socketPath); // stale, from an agent that died
    }
    const server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // Created 0600 from the start: no window in which another user could connect.
      const old = process.umask(0o177);
      server.listen(socketPath, () => {
        process.umask(old);
        resolve();
      });
    });
    chmodSync(socketPath, 0o600);
    this.server = server;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://rackroute');
    const reply = (status: number, value: unknown): void => {
      const body = JSON.stringify(value);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    try {
      const raw = req.method === 'GET' ? this.rawHandlers.get(url.pathname) : undefined;
      if (raw) {
        const { type, body } = await raw();
        res.writeHead(200, { 'content-type': type });
        res.end(body);
        return;
      }
      for (const r of this.routes) {
        const m = r.pattern.exec(url.pathname);
        if (!m || r.method !== req.method) continue;
        const params = Object.fromEntries(r.keys.map((k, i) => [k, decodeURIComponent(m[i + 1])]));
        const body = await readJson(req);
        reply(200, await r.handler({ method: req.method, path: url.pathname, params, query: url.searchParams, body }));
        return;
      }
      reply(404, { error: `no such endpoint: ${req.method} ${url.pathname}` });
    } catch (e) {
      if (e instanceof ApiError) reply(e.status, { error: e.message });
      else reply(500, { error: e instanceof Error ? e.message : String(e) });
    }
  }
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 1 << 20) throw new ApiError(413, 'request body over 1 MiB');
    chunks.push(c as Buffer);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ApiError(400, 'request body is not JSON');
  }
}

function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
