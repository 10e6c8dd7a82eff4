export default function start(service: { name: string; block_handler: unknown }): void {
  const seen: string[] = [];
  service.block_handler = async (block: string, inputs: Record<string, unknown>) => {
    seen.push(block);
    if (block === "hello") return { text: `hello ${inputs.who} from ${service.name}` };
    return { seen: seen.length };
  };
}
