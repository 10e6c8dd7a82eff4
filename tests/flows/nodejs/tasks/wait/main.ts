// Waits without blocking: other jobs run on the same worker meanwhile.
export default async function (params: { ms: number }) {
  await new Promise((resolve) => setTimeout(resolve, params.ms));
  return { pid: process.pid };
}
