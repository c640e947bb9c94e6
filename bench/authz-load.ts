/**
 * The load generator of bench:authz over HTTP, run as a worker thread so that sending requests and
 * reading answers does not share the server's event loop (it still shares the machine's cores).
 * `runLoad` starts one, runs one load and returns its result.
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

export interface LoadSpec {
  port: number;
  path: string;
  headers: Record<string, string>;
  /** Request bodies, sent in turn; `perRequestHeaders` likewise (request k takes entry k of each, cycling). */
  bodies: string[];
  perRequestHeaders?: Array<Record<string, string>>;
  /** open: request k is due at k/rate and timed from then; closed: `inFlight` loops back to back. */
  mode: 'open' | 'closed';
  rate?: number;
  seconds?: number;
  count?: number;
  inFlight: number;
  /** Closed-loop requests sent first and not counted (connections, JIT tiers). */
  warmup?: number;
}

export interface LoadResult {
  sent: number;
  perSec: number;
  p50Us: number;
  p99Us: number;
  maxUs: number;
  errors: number;
  /** Open loop: requests sent 1 ms or more after they were due (the generator or every connection busy). */
  late: number;
}

function pct(sorted: Float64Array, p: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * Keep-alive HTTP/1.1 connections over raw sockets, one request at a time on each: requests are
 * serialised once up front and answers read by their Content-Length, so the generator spends far
 * less CPU per request than node:http's client (the cores are shared with the server under test).
 */
class Connections {
  readonly #free: Connection[] = [];
  readonly #all: Connection[] = [];
  readonly #requests: Buffer[];
  constructor(spec: LoadSpec) {
    const n = Math.max(spec.bodies.length, spec.perRequestHeaders?.length ?? 1);
    this.#requests = Array.from({ length: n }, (_, k) => {
      const body = spec.bodies[k % spec.bodies.length]!;
      const headers: Record<string, string> = {
        host: `127.0.0.1:${spec.port}`,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        ...spec.headers,
        ...spec.perRequestHeaders?.[k % spec.perRequestHeaders.length],
      };
      const head = Object.entries(headers)
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('');
      return Buffer.from(`POST ${spec.path} HTTP/1.1\r\n${head}\r\n${body}`);
    });
    for (let i = 0; i < spec.inFlight; i++) {
      const c = new Connection(spec.port);
      this.#all.push(c);
      this.#free.push(c);
    }
  }
  get free(): number {
    return this.#free.length;
  }
  /** Sends request k on a free connection (the caller checks `free`); resolves with the status. */
  send(k: number): Promise<number> {
    const c = this.#free.pop()!;
    return c.send(this.#requests[k % this.#requests.length]!).then((status) => {
      this.#free.push(c);
      return status;
    });
  }
  close(): void {
    for (const c of this.#all) c.close();
  }
}

class Connection {
  readonly #port: number;
  #socket: Socket | undefined;
  #buf: Buffer = Buffer.alloc(0);
  #resolve: ((status: number) => void) | undefined;
  constructor(port: number) {
    this.#port = port;
  }
  #open(): Socket {
    const s = connect({ host: '127.0.0.1', port: this.#port, noDelay: true });
    s.on('data', (d: Buffer) => this.#data(d));
    const fail = () => {
      if (this.#socket === s) this.#socket = undefined;
      this.#buf = Buffer.alloc(0);
      const r = this.#resolve;
      this.#resolve = undefined;
      r?.(0);
    };
    s.on('error', fail);
    s.on('close', fail);
    this.#socket = s;
    return s;
  }
  send(request: Buffer): Promise<number> {
    return new Promise((resolve) => {
      this.#resolve = resolve;
      (this.#socket ?? this.#open()).write(request);
    });
  }
  #data(d: Buffer): void {
    this.#buf = this.#buf.length === 0 ? d : Buffer.concat([this.#buf, d]);
    const end = this.#buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = this.#buf.toString('latin1', 0, end);
    const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    const length = m === null ? 0 : Number(m[1]);
    if (this.#buf.length < end + 4 + length) return;
    this.#buf = this.#buf.subarray(end + 4 + length);
    const status = Number(head.slice(9, 12));
    const r = this.#resolve;
    this.#resolve = undefined;
    r?.(status);
  }
  close(): void {
    this.#socket?.destroy();
  }
}

async function closedLoop(conns: Connections, spec: LoadSpec, count: number): Promise<LoadResult> {
  const lat = new Float64Array(count);
  let errors = 0;
  let next = 0;
  let done = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: spec.inFlight }, async () => {
      while (next < count) {
        const k = next++;
        const t = performance.now();
        const status = await conns.send(k);
        lat[done++] = performance.now() - t;
        if (status < 200 || status >= 300) errors++;
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  lat.sort();
  return {
    sent: count,
    perSec: count / elapsed,
    p50Us: pct(lat, 50) * 1000,
    p99Us: pct(lat, 99) * 1000,
    maxUs: lat[count - 1]! * 1000,
    errors,
    late: 0,
  };
}

/**
 * Open loop: request k is due at start + k/rate; its latency counts from when it was due, so a stall
 * shows in the percentiles instead of lowering the offered rate (no coordinated omission). At most
 * `inFlight` requests are outstanding; one due while all are busy waits, and its wait counts.
 */
async function openLoop(conns: Connections, rate: number, seconds: number): Promise<LoadResult> {
  const total = Math.round(rate * seconds);
  const lat = new Float64Array(total);
  let errors = 0;
  let next = 0;
  let done = 0;
  let late = 0;
  const start = performance.now();
  await new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const pump = () => {
      timer = undefined;
      const now = performance.now();
      while (next < total && conns.free > 0 && start + (next * 1000) / rate <= now) {
        const k = next++;
        const due = start + (k * 1000) / rate;
        if (now - due >= 1) late++;
        void conns.send(k).then((status) => {
          lat[done++] = performance.now() - due;
          if (status < 200 || status >= 300) errors++;
          if (done === total) resolve();
          else if (next < total && timer === undefined) pump();
        });
      }
      // Waiting for the next due time; when every connection is busy, the next answer pumps instead.
      if (next < total && conns.free > 0 && timer === undefined)
        timer = setTimeout(pump, Math.max(0, start + (next * 1000) / rate - performance.now()));
    };
    pump();
  });
  const elapsed = (performance.now() - start) / 1000;
  lat.sort();
  return {
    sent: total,
    perSec: total / elapsed,
    p50Us: pct(lat, 50) * 1000,
    p99Us: pct(lat, 99) * 1000,
    maxUs: lat[total - 1]! * 1000,
    errors,
    late,
  };
}

async function run(spec: LoadSpec): Promise<LoadResult> {
  const conns = new Connections(spec);
  try {
    if (spec.warmup !== undefined && spec.warmup > 0) await closedLoop(conns, spec, spec.warmup);
    return spec.mode === 'open'
      ? await openLoop(conns, spec.rate ?? 1000, spec.seconds ?? 5)
      : await closedLoop(conns, spec, spec.count ?? 1000);
  } finally {
    conns.close();
  }
}

/** Runs one load from a worker thread and returns its result. */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: spec });
    worker.once('message', (r: LoadResult) => {
      resolve(r);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`load generator exited ${code}`));
    });
  });
}

if (!isMainThread && parentPort !== null && (workerData as LoadSpec | undefined)?.path !== undefined) {
  const port = parentPort;
  run(workerData as LoadSpec).then((r) => port.postMessage(r));
}
