// A seeded fault-injecting HTTP proxy in front of moto that loses answers: it forwards the
// request, lets moto carry it out, reads moto's whole answer, and then cuts the client's
// connection instead of passing the answer on — what a dropped connection after a successful
// RunInstances looks like from the SDK. Test code; the same seed makes the same decisions in
// the same request order.
import { createServer, request, type Server } from 'node:http';
import { createRandom } from '../../src/lib/index.js';

export interface LostAnswerProxyOptions {
  /** moto's `http://127.0.0.1:PORT`. */
  target: string;
  seed: number;
  /** Probability, per EC2 action name, that its answer is lost (default 0). */
  loseAnswer: Readonly<Record<string, number>>;
}

export interface LostAnswerProxy {
  endpoint: string;
  /** Answers lost so far, per action. */
  readonly lost: Record<string, number>;
  /** Requests forwarded so far, per action. */
  readonly seen: Record<string, number>;
  close(): Promise<void>;
}

function actionOf(body: string, url: string): string {
  const fromBody = new URLSearchParams(body).get('Action');
  if (fromBody !== null) return fromBody;
  return new URL(url, 'http://x').searchParams.get('Action') ?? '(none)';
}

export async function startLostAnswerProxy(options: LostAnswerProxyOptions): Promise<LostAnswerProxy> {
  const random = createRandom(options.seed);
  const target = new URL(options.target);
  const lost: Record<string, number> = {};
  const seen: Record<string, number> = {};
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const action = actionOf(body.toString('utf8'), req.url ?? '/');
      seen[action] = (seen[action] ?? 0) + 1;
      // Drawn before forwarding, so the decision depends on request order only.
      const lose = random() < (options.loseAnswer[action] ?? 0);
      const upstream = request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, 'content-length': String(body.length) },
        },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => parts.push(chunk));
          answer.on('end', () => {
            if (lose) {
              lost[action] = (lost[action] ?? 0) + 1;
              req.socket.destroy();
              return;
            }
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(Buffer.concat(parts));
          });
        },
      );
      upstream.on('error', () => req.socket.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    lost,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
