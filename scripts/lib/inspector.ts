import { WebSocket } from 'undici';

/** NODE_OPTIONS for a child that may have its garbage collected from outside: the inspector on `port`, announced over HTTP only. */
export function inspectorOptions(port: number): string {
  return `--inspect=127.0.0.1:${port} --inspect-publish-uid=http`;
}

/**
 * Collects garbage in a process started with `inspectorOptions(port)`, so that
 * a memory reading counts what is live rather than what a collection has not
 * reached yet; returns the bytes its JavaScript heap then holds.
 */
export async function collectGarbage(port: number): Promise<number> {
  const [target] = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{
    webSocketDebuggerUrl: string;
  }>;
  const socket = new WebSocket(target?.webSocketDebuggerUrl ?? '');
  await new Promise((resolve, reject) => {
    socket.addEventListener('open', resolve);
    socket.addEventListener('error', reject);
  });
  const send = (id: number, method: string) => {
    const answered = new Promise<{ result?: { usedSize?: number } }>((resolve) =>
      socket.addEventListener('message', (event) => resolve(JSON.parse(String(event.data))), { once: true }),
    );
    socket.send(JSON.stringify({ id, method }));
    return answered;
  };
  try {
    await send(1, 'HeapProfiler.collectGarbage');
    await send(2, 'HeapProfiler.collectGarbage');
    return (await send(3, 'Runtime.getHeapUsage')).result?.usedSize ?? Number.NaN;
  } finally {
    socket.close();
  }
}
