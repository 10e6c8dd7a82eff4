import type { Context } from "@oomol/types/oocana";
import { state } from "./state";

export default async function (params: { word: string }, context: Context) {
  state.word = params.word;
  process.env["INJECT_TEST_WORD"] = params.word;
  return { pid: process.pid };
}
