// The CLI's side of the admin API: one JSON request over the unix socket.
import http from 'node:http';
import { DEFAULT_SOCKET } from './server.js';

export class ApiRequestError extends Error {
  override readonly name = 'ApiRequestError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export function defaultSocket(): string {
  return process.env.RACKROUTE_SOCKET ?? DEFAULT_SOCKET;
}

export function apiRequest<T>(socketPath: string, method: string, path: string, body?: unknown, timeoutMs = 30_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({
      socketPath,
      method,
      path,
      timeout: timeoutMs,
      headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let value: unknown;
        try {
          value = text ? JSON.parse(text) : undefined;
        } catch {
          value = text;
        }
        if ((res.statusCode ?? 500) >= 400) {
          const msg = (value as { error?: string } | undefined)?.error ?? text;
          reject(new ApiRequestError(msg, res.statusCode));
        } else {
          resolve(value as T);
        }
      });
    });
    req.on('timeout', () => req.destroy(new ApiRequestError(`no answer from ${socketPath} in ${timeoutMs / 1000} s`)));
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (e instanceof ApiRequestError) reject(e);
      else if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED') reject(new ApiRequestError(`no agent is listening on ${socketPath} (${e.code}); is \`rackroute agent\` running? (--socket or RACKROUTE_SOCKET choose another)`));
      else if (e.code === 'EACCES') reject(new ApiRequestError(`${socketPath}: permission denied (the admin socket is root-only)`));
      else reject(new ApiRequestError(`${socketPath}: ${e.message}`));
    });
    if (payload) req.write(payload);
    req.end();
  });
}
