// Each way of starting a child with inherited stdio: what the block gets back is what
// inheriting gives (no output in results), and the output becomes this job's log.
import { execFileSync, execSync, fork, spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

export default async function () {
  const forked = fork(path.join(here, "forked.js"));
  await new Promise((resolve) => forked.on("exit", resolve));
  const inherited = fork(path.join(here, "forked.js"), ["again"], { stdio: "inherit" });
  await new Promise((resolve) => inherited.on("exit", resolve));
  const sync = spawnSync("sh", ["-c", "echo spawnSync out; echo spawnSync err >&2"],
                         { stdio: "inherit" });
  const file = execFileSync("sh", ["-c", "echo execFileSync out"],
                            { stdio: ["ignore", "inherit", "inherit"] });
  let failed: unknown[] = [];
  try {
    execSync("echo failing out; exit 3", { stdio: "inherit" });
  } catch (error: any) {
    failed = [error.status, error.stdout];
  }
  const piped = execSync("echo piped as asked").toString().trim();
  return { seen: { fork_stdout: forked.stdout, spawnSync: [sync.status, sync.stdout, sync.stderr],
                   execFileSync: file, failed, piped } };
}
