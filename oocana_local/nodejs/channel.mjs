// The wire to the engine: one AF_UNIX stream socket inherited as a file descriptor.
// Each frame is a 4-byte big-endian length and a UTF-8 JSON message.
import fs from "node:fs";
import net from "node:net";

export class Channel {
  constructor(fd, onMessage) {
    this.fd = fd;
    this.socket = new net.Socket({ fd, readable: true, writable: true });
    this.chunks = [];
    this.have = 0;
    this.need = 0;  // bytes the first incomplete frame needs, counted from this.chunks[0]
    this.socket.on("data", (data) => this.#receive(data, onMessage));
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
    let buffer = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    let pos = 0;
    while (buffer.length - pos >= 4) {
      const size = buffer.readUInt32BE(pos);
      if (buffer.length - pos - 4 < size) {
        this.need = 4 + size;
        break;
      }
      const text = buffer.toString("utf8", pos + 4, pos + 4 + size);
      pos += 4 + size;
      onMessage(JSON.parse(text));
    }
    const rest = pos < buffer.length ? buffer.subarray(pos) : null;
    this.chunks = rest ? [rest] : [];
    this.have = rest ? rest.length : 0;
  }

  send(message) {
    const body = Buffer.from(JSON.stringify(message), "utf8");
    const header = Buffer.allocUnsafe(4);
    header.writeUInt32BE(body.length, 0);
    this.socket.write(body.length < 65536 ? Buffer.concat([header, body]) : header);
    if (body.length >= 65536) this.socket.write(body);
  }

  /** For the last words of a dying process: written before it exits. */
  sendSync(message) {
    const body = Buffer.from(JSON.stringify(message), "utf8");
    const header = Buffer.allocUnsafe(4);
    header.writeUInt32BE(body.length, 0);
    const frame = Buffer.concat([header, body]);
    let offset = 0;
    for (let tries = 0; offset < frame.length && tries < 1000; tries++) {
      try {
        offset += fs.writeSync(this.fd, frame, offset);
      } catch (error) {
        if (error.code !== "EAGAIN") return;
      }
    }
  }
}
