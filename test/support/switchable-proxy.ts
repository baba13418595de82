import net from 'node:net';

/**
 * One address in front of several service processes, as a load balancer puts
 * it: every new connection goes to the current target, and `switchTo` moves
 * the address to another process, cutting the connections the old one had
 * (a balancer that took a process out of rotation mid-request).
 */
export interface SwitchableProxy {
  readonly url: string;
  switchTo(port: number): void;
  close(): Promise<void>;
}

export async function startSwitchableProxy(targetPort: number): Promise<SwitchableProxy> {
  let target = targetPort;
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    switchTo(port: number) {
      target = port;
      for (const socket of open) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
