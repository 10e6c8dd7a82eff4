import type { Context } from "@oomol/types/oocana";

export default async function (params: { count: number }, context: Context) {
  for (let i = 1; i <= params.count; i++) {
    context.output("item", i);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
