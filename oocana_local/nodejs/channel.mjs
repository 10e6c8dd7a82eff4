// The wire to the engine: one AF_UNIX stream socket inherited as a file descriptor.
// Each frame is a 4-byte big-endian length and one message, a pickle of plain values
// (pickle.mjs).
import net from "node:net";
import { frame, loads } from "./pickle.mjs";

const READ = 1 << 16;

export class Channel {
  constructor(fd, onMessage) {
    this.chunks = [];
    this.have = 0;
    this.need = 0;  // bytes the first incomplete frame needs, counted from this.chunks[0]
    // Each read gets a buffer of its own, as large as the rest of a big frame: it arrives
    // in one or two reads rather than one per 64 KB.
    this.socket = new net.Socket({ fd, readable: true, writable: true, onread: {
      buffer: () => Buffer.allocUnsafe(Math.max(this.need - this.have, READ)),
      callback: (n, buffer) => { this.#receive(buffer.subarray(0, n), onMessage); },
    } });
    // The engine is gone: nothing here is of use to anyone any more.
    this.socket.on("end", () => process.exit(0));
    this.socket.on("error", () => process.exit(0));
  }

  #receive(data, onMessage) {
    this.chunks.push(data);
    this.have += data.length;
    if (this.have < 4) return;
    if (this.need && this.have < this.need) return;  // a big frame: wait for all of it
    this.need = 0;
    const buffer = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    let pos = 0;
    while (buffer.length - pos >= 4) {
      const size = buffer.readUInt32BE(pos);
      if (buffer.length - pos - 4 < size) {
        this.need = 4 + size;
        break;
      }
      const body = buffer.subarray(pos + 4, pos + 4 + size);
      pos += 4 + size;
      onMessage(loads(body));
    }
    const rest = pos < buffer.length ? buffer.subarray(pos) : null;
    this.chunks = rest ? [rest] : [];
    this.have = rest ? rest.length : 0;
  }

  send(message) {
    this.socket.write(frame(message));
  }
}
