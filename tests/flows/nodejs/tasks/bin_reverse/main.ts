// oomol/bin: a Buffer in, a Buffer out (written to a file under the session folder).
export default function (params: { data: Buffer }) {
  return { reversed: Buffer.from(params.data).reverse(), was_buffer: Buffer.isBuffer(params.data) };
}
