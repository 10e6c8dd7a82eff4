// Child processes that print with inherited stdio, from jobs running side by side on one
// worker: each job waits until `jobs` of them are running before it starts its children,
// and until all their children are done before it ends.
import { execSync, spawn } from "node:child_process";

type Gate = { count: number; open: () => void; opened: Promise<void> };
const gates = new Map<string, Gate>();

function gate(name: string): Gate {
  let found = gates.get(name);
  if (!found) {
    let open = () => {};
    const opened = new Promise<void>((resolve) => { open = resolve; });
    found = { count: 0, open, opened };
    gates.set(name, found);
  }
  return found;
}

async function meet(name: string, jobs: number): Promise<void> {
  const g = gate(name);
  g.count += 1;
  if (g.count >= jobs) g.open();
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`only ${g.count} of ${jobs} jobs met at ${name}: ` +
      "they are not running on one worker at once")), 60_000);
  });
  try {
    await Promise.race([g.opened, stuck]);
  } finally {
    clearTimeout(timer);
  }
}

export default async function (params: { tag: string; jobs: number }, context: { sessionId: string }) {
  await meet(`${context.sessionId}/start`, params.jobs);
  execSync(`echo sync child of ${params.tag}`, { stdio: "inherit" });
  const child = spawn(process.execPath, ["-e",
    `console.log("async child of ${params.tag}"); console.error("stderr child of ${params.tag}")`],
    { stdio: "inherit" });
  await new Promise((resolve, reject) => { child.on("close", resolve); child.on("error", reject); });
  await meet(`${context.sessionId}/end`, params.jobs);
  return { stdout_stream: child.stdout !== null };
}
