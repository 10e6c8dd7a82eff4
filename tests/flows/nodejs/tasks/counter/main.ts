// Module state lives as long as the worker: one per package per session.
let calls = 0;

export default function () {
  calls += 1;
  return { calls };
}
