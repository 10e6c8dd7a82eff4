// Messages between the engine and a Node worker are pickles, as a Python worker's are, of
// JSON's values only (dicts, lists, strings, numbers, booleans, None) with JSON's meaning:
// written as JSON.stringify would, NaN and infinities read as null. Pickle because the
// engine's pickle reads and writes a list of numbers about 15x as fast as its json module.

const PACKED_MODULE = "oocana_local.wire.packed";
const UNPACK = Symbol("unpack");
const PACKED_MIN = 1 << 16;  // wire/packed.py's THRESHOLD

/** A big output value, written as a pickle of its own inside the frame (`unpack(<pickle>)`,
 * as wire/packed.py writes it): the engine reads it as any value and can send those bytes
 * on to the next worker as they are. Under PACKED_MIN bytes it is written inline. */
export class Packed {
  constructor(value) { this.value = value; }  // a value of a message's dict (its outputs)
}

/** A pickle of plain values (protocol 2 to 5: no classes) as a value; tuples and sets
 * become arrays, bytes Buffers; `unpack(<pickle>)` is the value of that pickle. */
export function loads(buf) {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const stack = [];
  const marks = [];
  const memo = [];
  const fill = { list: null, at: 0 };  // a list being filled by index (floats)
  let pos = 0;
  const text = (n) => buf.toString("utf8", pos, (pos += n));
  const bytes = (n) => Buffer.from(buf.subarray(pos, (pos += n)));
  const popMark = () => stack.splice(marks.pop());
  for (;;) {
    const op = buf[pos++];
    switch (op) {
      case 0x80: pos += 1; break;  // PROTO
      case 0x95: pos += 8; break;  // FRAME
      case 0x2e: return stack.pop();  // STOP
      case 0x28: marks.push(stack.length); break;  // MARK
      case 0x7d: stack.push({}); break;  // EMPTY_DICT
      case 0x5d: case 0x29: case 0x8f: stack.push([]); break;  // EMPTY_LIST, _TUPLE, _SET
      case 0x65: case 0x90: append(stack, marks.pop()); break;  // APPENDS, ADDITEMS
      case 0x61: { const item = stack.pop(); stack[stack.length - 1].push(item); break; }  // APPEND
      case 0x75: {  // SETITEMS
        const items = popMark();
        const dict = stack[stack.length - 1];
        for (let i = 0; i < items.length; i += 2) setItem(dict, items[i], items[i + 1]);
        break;
      }
      case 0x73: { const v = stack.pop(); const k = stack.pop(); setItem(stack[stack.length - 1], k, v); break; }
      case 0x74: case 0x91: stack.push(popMark()); break;  // TUPLE, FROZENSET
      case 0x85: stack.push([stack.pop()]); break;  // TUPLE1
      case 0x86: stack.push(stack.splice(-2)); break;  // TUPLE2
      case 0x87: stack.push(stack.splice(-3)); break;  // TUPLE3
      case 0x4e: stack.push(null); break;  // NONE
      case 0x88: stack.push(true); break;  // NEWTRUE
      case 0x89: stack.push(false); break;  // NEWFALSE
      case 0x4b: stack.push(buf[pos]); pos += 1; break;  // BININT1
      case 0x4d: stack.push(view.getUint16(pos, true)); pos += 2; break;  // BININT2
      case 0x4a: stack.push(view.getInt32(pos, true)); pos += 4; break;  // BININT
      case 0x8a: { const n = buf[pos]; pos += 1; stack.push(long(buf, pos, n)); pos += n; break; }
      case 0x8b: { const n = view.getInt32(pos, true); pos += 4; stack.push(long(buf, pos, n)); pos += n; break; }
      case 0x47: pos = floats(buf, view, pos, stack, marks, fill); break;  // BINFLOAT
      case 0x8c: { const n = buf[pos]; pos += 1; stack.push(text(n)); break; }  // SHORT_BINUNICODE
      case 0x58: { const n = view.getUint32(pos, true); pos += 4; stack.push(text(n)); break; }
      case 0x8d: { const n = Number(view.getBigUint64(pos, true)); pos += 8; stack.push(text(n)); break; }
      case 0x43: { const n = buf[pos]; pos += 1; stack.push(bytes(n)); break; }  // SHORT_BINBYTES
      case 0x42: { const n = view.getUint32(pos, true); pos += 4; stack.push(bytes(n)); break; }
      case 0x8e: case 0x96: { const n = Number(view.getBigUint64(pos, true)); pos += 8; stack.push(bytes(n)); break; }
      case 0x93: {  // STACK_GLOBAL: only the engine's unpack (a packed value, wire/packed.py)
        const name = stack.pop();
        const module = stack.pop();
        if (module !== PACKED_MODULE || name !== "unpack") {
          throw new Error(`a frame names ${module}.${name}, which is not a plain value`);
        }
        stack.push(UNPACK);
        break;
      }
      case 0x52: {  // REDUCE: unpack(the value's own pickle)
        const args = stack.pop();
        if (stack.pop() !== UNPACK || !Array.isArray(args) || !Buffer.isBuffer(args[0])) {
          throw new Error(`a frame calls something other than unpack at byte ${pos - 1}`);
        }
        stack.push(loads(args[0]));
        break;
      }
      case 0x94: memo.push(stack[stack.length - 1]); break;  // MEMOIZE
      case 0x68: stack.push(copy(memo[buf[pos]])); pos += 1; break;  // BINGET
      case 0x6a: stack.push(copy(memo[view.getUint32(pos, true)])); pos += 4; break;  // LONG_BINGET
      case 0x30:  // POP: the top item, or the mark when nothing is above it
        if (marks.length && marks[marks.length - 1] === stack.length) marks.pop();
        else stack.pop();
        break;
      case 0x31: stack.length = marks.pop(); break;  // POP_MARK
      default:
        throw new Error(`a frame holds pickle opcode 0x${(op ?? 0).toString(16)} at byte ${pos - 1}, ` +
          "which is not a plain value");
    }
  }
}

/** A run of BINFLOATs (a list of numbers; FRAMEs may fall inside it): small loops of their
 * own are compiled at once. A run that APPENDS closes goes straight into its list, as
 * unboxed doubles, rather than through the stack, where each number would be an object;
 * a fresh list is given at once the length of all its batches of numbers (`fill` follows
 * it), which spares growing it a push at a time. */
function floats(buf, view, pos, stack, marks, fill) {
  let stop = pos + 8;  // past the run: the opcode after it
  for (let op = buf[stop]; op === 0x47 || op === 0x95; op = buf[stop]) stop += 9;
  if (buf[stop] !== 0x65 || !marks.length || !Array.isArray(stack[marks[marks.length - 1] - 1])) {
    pushFloats(stack, view, buf, pos, stop);
    return stop;
  }
  const mark = marks.pop();
  const list = stack[mark - 1];
  if (list !== fill.list && list.length === 0 && stack.length === mark) {
    fill.list = list;
    fill.at = 0;
    list.length = countFloats(buf, pos, stop);
  }
  append(stack, mark);
  if (list === fill.list) {
    fill.at = storeFloats(list, fill.at, view, buf, pos, stop);
    if (fill.at === list.length) fill.list = null;
  } else {
    pushFloats(list, view, buf, pos, stop);
  }
  return stop + 1;  // the APPENDS, done
}

function pushFloats(into, view, buf, pos, stop) {
  let x = view.getFloat64(pos);
  into.push(Number.isFinite(x) ? x : null);
  for (let p = pos + 8; p < stop; p += 9) {
    if (buf[p] !== 0x47) continue;  // a FRAME
    x = view.getFloat64(p + 1);
    into.push(Number.isFinite(x) ? x : null);
  }
}

function storeFloats(list, i, view, buf, pos, stop) {
  let x = view.getFloat64(pos);
  list[i++] = Number.isFinite(x) ? x : null;
  for (let p = pos + 8; p < stop; p += 9) {
    if (buf[p] !== 0x47) continue;  // a FRAME
    x = view.getFloat64(p + 1);
    list[i++] = Number.isFinite(x) ? x : null;
  }
  return i;
}

/** The numbers of the run at `pos` (APPENDS at `stop`) and of the batches after it that
 * hold numbers only (`MARK BINFLOAT... APPENDS`, FRAMEs anywhere): all go to one list. */
function countFloats(buf, pos, stop) {
  let n = 1;
  for (let p = pos + 8; p < stop; p += 9) if (buf[p] === 0x47) n++;
  let q = stop + 1;
  for (;;) {
    while (buf[q] === 0x95) q += 9;
    if (buf[q] !== 0x28) return n;  // MARK
    q += 1;
    while (buf[q] === 0x95) q += 9;
    let batch = 0;
    let r = q;
    for (let op = buf[r]; op === 0x47 || op === 0x95; op = buf[r]) {
      if (op === 0x47) batch++;
      r += 9;
    }
    if (batch === 0 || buf[r] !== 0x65) return n;  // not numbers only: the stack takes it
    n += batch;
    q = r + 1;
  }
}

/** APPENDS: the items above the mark onto the list below it. */
function append(stack, mark) {
  const list = stack[mark - 1];
  for (let i = mark; i < stack.length; i++) list.push(stack[i]);
  stack.length = mark;
}

/** An object pickled twice in one message arrives twice, as from JSON: not one object a
 * block could change in two places. */
function copy(value) {
  if (value === null || typeof value !== "object") return value;
  if (Buffer.isBuffer(value)) return Buffer.from(value);
  if (Array.isArray(value)) return value.map(copy);
  const out = {};
  for (const key of Object.keys(value)) setItem(out, key, copy(value[key]));
  return out;
}

function setItem(dict, key, value) {
  // JSON.parse makes "__proto__" an own key; an assignment would set the prototype.
  if (key === "__proto__") Object.defineProperty(dict, key, { value, enumerable: true, writable: true, configurable: true });
  else dict[key] = value;
}

/** A little-endian two's complement integer of n bytes (LONG1, LONG4). */
function long(buf, pos, n) {
  if (n === 0) return 0;
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(buf[pos + i]);
  if (buf[pos + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
  return Number(v);
}

let out = Buffer.allocUnsafe(1 << 16);
let outView = new DataView(out.buffer, out.byteOffset, out.length);
let at = 0;
let writing = false;

function room(n) {
  if (at + n <= out.length) return;
  const bigger = Buffer.allocUnsafe(Math.max(out.length * 2, at + n));
  out.copy(bigger, 0, 0, at);
  out = bigger;
  outView = new DataView(out.buffer, out.byteOffset, out.length);
}

/** One frame: a 4-byte big-endian length and the pickle of what JSON.stringify would make
 * of `message` (toJSON, own enumerable keys, null for what JSON has no word for); a
 * TypeError where it throws one (a BigInt, a cycle). */
export function frame(message) {
  // A toJSON that logs sends a message while another is being written: it gets a buffer
  // of its own.
  const outer = writing ? [out, outView, at] : null;
  if (outer) {
    out = Buffer.allocUnsafe(256);
    outView = new DataView(out.buffer, out.byteOffset, out.length);
  }
  writing = true;
  try {
    at = 4;
    room(2);
    out[at++] = 0x80;  // PROTO 4
    out[at++] = 4;
    write(message, 0);
    room(1);
    out[at++] = 0x2e;  // STOP
    out.writeUInt32BE(at - 4, 0);
    return Buffer.from(out.subarray(0, at));
  } finally {
    if (outer) [out, outView, at] = outer;
    else writing = false;
  }
}

/** What JSON.stringify writes for `value` under `key`: its toJSON() if it has one. */
function json(value, key) {
  return value !== null && typeof value === "object" && typeof value.toJSON === "function"
    ? value.toJSON(String(key)) : value;
}

function write(value, depth) {
  switch (typeof value) {
    case "string": writeString(value); return;
    case "number": writeNumber(value); return;
    case "boolean": room(1); out[at++] = value ? 0x88 : 0x89; return;
    case "bigint": throw new TypeError("Do not know how to serialize a BigInt");
    case "object": break;
    default: room(1); out[at++] = 0x4e; return;  // undefined, a function: null in a list
  }
  if (value === null) {
    room(1);
    out[at++] = 0x4e;
    return;
  }
  if (depth > 1000) throw new TypeError("a value nests over 1000 levels deep (a cycle?)");
  if (value instanceof Number || value instanceof String || value instanceof Boolean) {
    write(value.valueOf(), depth);
    return;
  }
  room(2);
  if (Array.isArray(value)) {
    out[at++] = 0x5d;  // EMPTY_LIST
    if (value.length === 0) return;
    out[at++] = 0x28;  // MARK
    writeItems(value, depth + 1);
    room(1);
    out[at++] = 0x65;  // APPENDS
    return;
  }
  out[at++] = 0x7d;  // EMPTY_DICT
  out[at++] = 0x28;  // MARK
  for (const key of Object.keys(value)) {
    const packed = value[key] instanceof Packed;  // a value the worker packs: JSON sees it
    const item = json(packed ? value[key].value : value[key], key);
    if (item === undefined || typeof item === "function" || typeof item === "symbol") continue;
    writeString(key);
    if (packed) writePacked(item, depth + 1);
    else write(item, depth + 1);
  }
  room(1);
  out[at++] = 0x75;  // SETITEMS
}

function writePacked(value, depth) {
  const start = at;
  writeString(PACKED_MODULE);
  writeString("unpack");
  room(8);
  out[at++] = 0x93;  // STACK_GLOBAL
  out[at++] = 0x42;  // BINBYTES, its length once known
  const lengthAt = at;
  at += 4;
  const inner = at;
  out[at++] = 0x80;  // PROTO 4
  out[at++] = 4;
  write(value, depth);
  room(3);
  out[at++] = 0x2e;  // STOP
  const n = at - inner;
  if (n < PACKED_MIN) {  // small: the value's own opcodes, inline
    out.copyWithin(start, inner + 2, at - 1);
    at = start + n - 3;
    return;
  }
  outView.setUint32(lengthAt, n, true);
  out[at++] = 0x85;  // TUPLE1
  out[at++] = 0x52;  // REDUCE
}

function writeItems(list, depth) {  // a small loop of its own: compiled at once
  for (let i = 0; i < list.length; i++) {
    if (i % 1000 === 0 && i > 0) {  // in batches, as Python's pickler writes them: the
      room(2);                       // reader's stack stays small (~1.3 ms less for 95,000)
      out[at++] = 0x65;  // APPENDS
      out[at++] = 0x28;  // MARK
    }
    const item = list[i];
    if (typeof item !== "number") write(json(item, i), depth);
    else if (Number.isInteger(item) && item >= -0x80000000 && item <= 0x7fffffff) {
      room(5);  // BININT: most integers, written here without the checks below
      out[at] = 0x4a;
      outView.setInt32(at + 1, item, true);
      at += 5;
    } else if (Number.isFinite(item) && !Number.isInteger(item)) {
      room(9);  // BINFLOAT
      out[at] = 0x47;
      outView.setFloat64(at + 1, item);
      at += 9;
    } else writeNumber(item);
  }
}

function writeString(text) {
  const n = Buffer.byteLength(text);
  room(n + 5);
  if (n < 256) {
    out[at++] = 0x8c;  // SHORT_BINUNICODE
    out[at++] = n;
  } else {
    out[at++] = 0x58;  // BINUNICODE
    outView.setUint32(at, n, true);
    at += 4;
  }
  at += out.write(text, at);
}

function writeNumber(x) {
  room(9);
  if (!Number.isFinite(x)) {
    out[at++] = 0x4e;  // JSON's null
  } else if (!Number.isInteger(x) || Math.abs(x) >= 1e21) {  // JSON writes 1e21 as a float
    out[at++] = 0x47;  // BINFLOAT
    outView.setFloat64(at, x);
    at += 8;
  } else if (x >= -0x80000000 && x <= 0x7fffffff) {
    out[at++] = 0x4a;  // BININT
    outView.setInt32(at, x, true);
    at += 4;
  } else {  // LONG1, of the decimal JSON would write (exact beyond 2**53 as JSON is)
    let v = BigInt(Number.isSafeInteger(x) ? x : String(x));
    const bytes = [];
    for (;;) {
      bytes.push(Number(v & 0xffn));
      v >>= 8n;
      const sign = bytes[bytes.length - 1] & 0x80;
      if ((v === 0n && !sign) || (v === -1n && sign)) break;
    }
    room(2 + bytes.length);
    out[at++] = 0x8a;
    out[at++] = bytes.length;
    for (const b of bytes) out[at++] = b;
  }
}
