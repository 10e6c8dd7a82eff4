import { greet } from "~/lib/greet";

export default async function (params: { name: string }) {
  return { greeting: greet(params.name) };
}
