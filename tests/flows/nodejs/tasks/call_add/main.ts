import type { Context } from "@oomol/types/oocana";

// context.runBlock / queryBlock from TypeScript: run another block of the package.
export default async function (params: { a: number }, context: Context) {
  const info = await context.queryBlock("self::add");
  const job = context.runBlock("self::add", { inputs: { a: params.a, b: 100 } });
  const seen: number[] = [];
  job.onOutput(({ output }: { output: number }) => seen.push(output));
  const outputs = await job.joinOutputs();
  return { sum: outputs.sum, inputs: info.inputs_def.map((d: { handle: string }) => d.handle) };
}
