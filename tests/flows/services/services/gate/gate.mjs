import fs from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export function start(service) {
  const marks = process.env.SVC_MARKS;
  if (marks) fs.writeFileSync(path.join(marks, `started-${process.pid}`), String(process.pid));
  service.blockHandler = {
    async meet({ name, other }, context) {
      const gate = path.join(context.sessionDir, "gate");
      fs.mkdirSync(gate, { recursive: true });
      fs.writeFileSync(path.join(gate, name), "here");
      for (let i = 0; i < 1200; i++) {  // up to a minute: the other call should be running
        if (fs.existsSync(path.join(gate, other))) return { met: other, pid: process.pid };
        await sleep(50);
      }
      throw new Error(`${name} never met ${other}: the calls did not run at once`);
    },
  };
}
