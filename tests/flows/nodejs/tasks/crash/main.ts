import type { Context } from "@oomol/types/oocana";

export default async function (params: { how: string }, context: Context) {
  if (params.how === "exit") process.exit(3);
  if (params.how === "reject") Promise.reject(new Error("nobody catches this"));
  if (params.how === "throw_later") setTimeout(() => { throw new Error("thrown in a timer"); }, 10);
  return context.keepAlive;
}
