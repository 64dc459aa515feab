/**
 * A raw TCP connection to a test server, for what node:http's client cannot do: exact bytes,
 * a client that stops reading, a half-close, and telling a clean close (FIN) from a reset.
 */
import net from 'node:net';
import { waitFor } from './keepstore-process.ts';

export interface RawConnection {
  socket: net.Socket;
  /** Everything received so far, as latin1 text. */
  received(): string;
  /** Resolves when `pattern` appears in what was received; rejects after `timeoutMs`. */
  waitForText(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves when the connection is closed: what was received, and the error that closed it if any (ECONNRESET). */
  closed: Promise<{ text: string; error: NodeJS.ErrnoException | null }>;
  /** socket.write() that resolves when the data was handed to the kernel. */
  write(data: string | Buffer): Promise<void>;
}

export async function rawConnect(port: number): Promise<RawConnection> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const chunks: Buffer[] = [];
  let error: NodeJS.ErrnoException | null = null;
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', (err) => (error ??= err));
  const received = (): string => Buffer.concat(chunks).toString('latin1');
  const closed = new Promise<{ text: string; error: NodeJS.ErrnoException | null }>((resolve) =>
    socket.once('close', () => resolve({ text: received(), error })),
  );
  return {
    socket,
    received,
    closed,
    waitForText: (pattern, timeoutMs = 10_000) =>
      waitFor(() => pattern.test(received()) && received(), timeoutMs, `response matching ${pattern}`),
    write: (data) => new Promise((resolve, reject) => socket.write(data, (err) => (err ? reject(err) : resolve()))),
  };
}
