import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

/**
 * Builds a masked client frame byte by byte, for frames a well-behaved `ws` client refuses to
 * send (oversized or fragmented control frames, reserved opcodes).
 */
export function rawFrame({
  opcode,
  payload = Buffer.alloc(0),
  fin = true,
}: {
  opcode: number;
  payload?: Buffer;
  fin?: boolean;
}): Buffer {
  const mask = randomBytes(4);
  const length = payload.length;
  const header =
    length < 126 ? Buffer.alloc(2) : length < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  header[0] = (fin ? 0x80 : 0) | opcode;
  if (length < 126) {
    header[1] = 0x80 | length;
  } else if (length < 65536) {
    header[1] = 0x80 | 126;
    header.writeUInt16BE(length, 2);
  } else {
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  const masked = Buffer.from(payload);
  for (let i = 0; i < masked.length; i++) masked[i] ^= mask[i % 4];
  return Buffer.concat([header, mask, masked]);
}

/** Writes bytes straight to a client's TCP socket, under `ws`'s framing. */
export function writeRaw(socket: WebSocket, bytes: Buffer): void {
  (socket as unknown as { _socket: Socket })._socket.write(bytes);
}
