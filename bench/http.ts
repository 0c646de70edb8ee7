/** The bench's HTTP client for a serve child: JSON calls with the bench token, and the /events SSE stream. */

export async function api<T>(base: string, token: string, method: string, p: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}/api/v1${p}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (res.status >= 300) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Follows the SSE stream; calls `on(type, data)` for each event. */
export async function followEvents(base: string, token: string, on: (type: string, data: Record<string, unknown>) => void, signal: AbortSignal): Promise<void> {
  const res = await fetch(`${base}/api/v1/events?token=${token}`, { signal });
  const reader = res.body!.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  const dec = new TextDecoder();
  let buf = '';
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += dec.decode(value, { stream: true });
        let sep: number;
        while ((sep = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, sep);
          buf = buf.slice(sep + 2);
          let type = 'message';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) type = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (data) on(type, JSON.parse(data) as Record<string, unknown>);
        }
      }
    } catch {
      /* aborted */
    }
  })();
}
