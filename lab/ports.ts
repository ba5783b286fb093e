import { createServer, type AddressInfo, type Server } from 'node:net';

/**
 * A TCP port that is free on `host` right now. The emulators take a port number on their
 * command line, so the lab cannot hand them port 0; the small window between this probe and
 * the child's own bind is covered by retrying the start (see children.ts).
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error(`no free port on ${host}`))));
    });
  });
}

/** Binds a server of the lab's own (port 0: any free port) and answers the port it got. */
export async function listen(server: Server, host: string, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}
