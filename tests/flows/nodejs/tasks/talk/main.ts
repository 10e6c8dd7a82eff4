import type { Context } from "@oomol/types/oocana";

export default async function (_: {}, context: Context) {
  console.log("hello from console.log");
  process.stderr.write("a line on stderr\n");
  context.reportProgress(10);
  context.reportProgress(50);
  context.reportLog("a reported line");
  context.preview({ type: "table", data: { columns: ["a", "b"], rows: [[1, 2], [3, 4]] } });
  context.preview({ type: "markdown", data: "# Title" });
  context.warning("careful");
  context.sendMessage({ hello: "world" });
  context.logJSON({ key: 1 });
  await new Promise<void>((resolve) => setTimeout(() => {
    console.log("from a timer callback");
    resolve();
  }, 10));
  context.reportProgress(100);
  return { done: true };
}
