// The benchmarks' application write: all of buf to a new file (0600), by async writes, then an
// fsync when asked.
import { open } from 'node:fs/promises';

export async function writeAll(path: string, buf: Buffer, opts: { sync?: boolean } = {}): Promise<void> {
  const fh = await open(path, 'w', 0o600);
  try {
    let at = 0;
    while (at < buf.length) at += (await fh.write(buf, at, buf.length - at, at)).bytesWritten;
    if (opts.sync) await fh.sync();
  } finally { await fh.close(); }
}
