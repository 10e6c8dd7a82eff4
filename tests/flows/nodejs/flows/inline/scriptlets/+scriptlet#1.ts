//#region generated meta
import type { Context } from "@oomol/types/oocana";
type Inputs = { word: string };
type Outputs = { word: string };
//#endregion

export default async function (params: Inputs, context: Context<Inputs, Outputs>): Promise<Partial<Outputs> | undefined | void> {
  return { word: params.word.toUpperCase() };
}
