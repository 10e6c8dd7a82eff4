import type { Context } from "@oomol/types/oocana";
import { twice } from "./helper";
import { half } from "./half.js";

type Inputs = { a: number; b: number };
type Outputs = { sum: number };

export default async function (params: Inputs, context: Context<Inputs, Outputs>): Promise<Outputs> {
  const sum: number = params.a + params.b;
  return { sum: half(twice(sum)) };
}
