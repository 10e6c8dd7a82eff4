//#region generated meta
import type { Context } from "@oomol/types/oocana";
type Inputs = {
  numbers: number[];
};
type Outputs = {
  stats: Stats;
};
//#endregion

import { describe, type Stats } from "./stats";

export default async function (
  params: Inputs,
  context: Context<Inputs, Outputs>,
): Promise<Partial<Outputs> | undefined | void> {
  console.log(`describing ${params.numbers.length} numbers`);
  const stats = describe(params.numbers);
  context.preview({
    type: "table",
    data: { columns: Object.keys(stats), rows: [Object.values(stats)] },
  });
  context.reportProgress(100);
  return { stats };
}
