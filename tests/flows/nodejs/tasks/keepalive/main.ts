import type { Context } from "@oomol/types/oocana";

export default async function (params: {}, context: Context) {
  setTimeout(() => {
    context.finish({ result: { output: "later" } });
  }, 200);
  return context.keepAlive;
}
