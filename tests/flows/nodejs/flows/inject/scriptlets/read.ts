import type { Context } from "@oomol/types/oocana";
import { state } from "./state";

export default async function (params: { after: number }, context: Context) {
  return {
    seen: { word: state.word, env: process.env["INJECT_TEST_WORD"] ?? null, pid: process.pid },
  };
}
