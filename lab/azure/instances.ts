/**
 * The scale set's virtual machines. Each instance, once booted, runs the demo API on its own
 * loopback address (127.0.1.10, .11, …) and on the port the lab chose for the pool, as VMSS
 * instances share the port of the gateway's backend settings. A test can kill an instance's
 * API while its VM keeps running, which is how a backend becomes Unhealthy on Azure.
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export type PowerState = 'starting' | 'running' | 'stopping';
export type InstanceProvisioning = 'Creating' | 'Succeeded' | 'Deleting';

/** The instances' private network: 127.0.1.10 upwards, one address each. */
const SUBNET = '127.0.1.';
const FIRST_HOST = 10;
/** The most instances the lab's subnet holds; larger capacities are refused by the ARM twin. */
export const MAX_INSTANCES = 240;
const DEFAULT_BOOT_DELAY_MS = 300;

function sendJson(res: http.ServerResponse, status: number, value: unknown, servedBy: string): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-served-by': servedBy }).end(body);
}

/** The demo API an instance runs: a health endpoint and one read route of the image service. */
function demoApi(computerName: string): http.RequestListener {
  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://instance').pathname;
    const image = /^\/api\/images\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && path === '/health') return sendJson(res, 200, { status: 'ok' }, computerName);
    if (req.method === 'GET' && image) return sendJson(res, 200, { id: decodeURIComponent(image[1]!), servedBy: computerName }, computerName);
    sendJson(res, 404, { error: `no route ${req.method} ${path}` }, computerName);
  };
}

function listen(server: http.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export class ApiInstance {
  readonly vmId = randomUUID();
  readonly createdAt = new Date();
  powerState: PowerState = 'starting';
  provisioningState: InstanceProvisioning = 'Creating';
  /** Where the API listens; the pool's port unless another process held it on this address. */
  port: number;
  /** What the VM's serial console showed, as Azure's boot diagnostics keep it. */
  readonly serialLog: string[] = [];
  #server?: http.Server;

  constructor(
    readonly instanceId: string,
    readonly computerName: string,
    readonly address: string,
    port: number,
  ) {
    this.port = port;
    this.log(`${computerName} booting`);
  }

  log(line: string): void {
    this.serialLog.push(`${new Date().toISOString()} ${line}`);
  }

  get apiUp(): boolean {
    return this.#server !== undefined;
  }

  get url(): string {
    return `http://${this.address}:${this.port}`;
  }

  /** Starts (or restarts) the API. */
  async startApi(): Promise<void> {
    if (this.#server) return;
    const server = http.createServer(demoApi(this.computerName));
    try {
      this.port = await listen(server, this.address, this.port);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      // Another lab on this machine holds the pool's port on this address: any port will do.
      this.port = await listen(server, this.address, 0);
    }
    this.#server = server;
    this.log(`drsentinel-api: listening on ${this.address}:${this.port}`);
  }

  /** The application dies; the VM stays up (its power state does not change). */
  async stopApi(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    this.log('drsentinel-api: exited (code 1): the process stopped; /health no longer answers');
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** The instances of one scale set, resized as its capacity changes. */
export class InstancePool {
  /** How long a new instance takes from creation to a running API. */
  bootDelayMs = DEFAULT_BOOT_DELAY_MS;
  readonly #instances: ApiInstance[] = [];
  #nextInstanceId = 0;

  private constructor(
    readonly computerNamePrefix: string,
    readonly port: number,
  ) {}

  /** Chooses the port every instance's API will listen on. */
  static async create(computerNamePrefix: string): Promise<InstancePool> {
    const probe = http.createServer();
    const port = await listen(probe, `${SUBNET}${FIRST_HOST}`, 0);
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    return new InstancePool(computerNamePrefix, port);
  }

  list(): readonly ApiInstance[] {
    return [...this.#instances];
  }

  get(instanceId: string): ApiInstance | undefined {
    return this.#instances.find((i) => i.instanceId === instanceId);
  }

  /** Adds or removes instances until there are `capacity` (at most MAX_INSTANCES); resolves once each new one runs. */
  async resize(capacity: number): Promise<void> {
    const boots: Array<Promise<void>> = [];
    while (this.#instances.length < capacity) boots.push(this.#boot(this.#create()));
    // Azure's default scale-in policy removes the highest instance ids first.
    const removed = this.#instances.splice(capacity).reverse();
    await Promise.all([...boots, ...removed.map((i) => this.#remove(i))]);
  }

  async close(): Promise<void> {
    await this.resize(0);
  }

  #create(): ApiInstance {
    const used = new Set(this.#instances.map((i) => i.address));
    let host = FIRST_HOST;
    while (used.has(`${SUBNET}${host}`)) host += 1;
    const id = String(this.#nextInstanceId++);
    const instance = new ApiInstance(id, `${this.computerNamePrefix}${id.padStart(6, '0')}`, `${SUBNET}${host}`, this.port);
    this.#instances.push(instance);
    return instance;
  }

  async #boot(instance: ApiInstance): Promise<void> {
    await sleep(this.bootDelayMs);
    if (!this.#instances.includes(instance)) return;
    await instance.startApi();
    // Scaled in while its API was starting.
    if (!this.#instances.includes(instance)) return instance.stopApi();
    instance.provisioningState = 'Succeeded';
    instance.powerState = 'running';
  }

  async #remove(instance: ApiInstance): Promise<void> {
    instance.provisioningState = 'Deleting';
    instance.powerState = 'stopping';
    await instance.stopApi();
  }
}
