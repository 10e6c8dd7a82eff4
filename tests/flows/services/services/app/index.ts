import type { Context } from "@oomol/types/oocana";

interface Service {
  blockHandler: Record<string, (inputs: any, context: Context<any, any>) => Promise<unknown>>;
}

export async function main(service: Service): Promise<void> {
  let calls = 0;
  service.blockHandler = {
    one: async (_inputs, context) => {
      calls += 1;
      context.sendMessage({ from: "one" });
      return { one: 1 };
    },
    app: async (inputs: { one: number }, context) => {
      calls += 1;
      context.sendMessage({ from: "app" });
      return { app: inputs.one + 1, calls, pid: process.pid };
    },
  };
}
