export default function (params: { map: Map<string, number> }) {
  if (!(params.map instanceof Map)) throw new Error(`not a Map: ${JSON.stringify(params.map)}`);
  return { answer: params.map.get("answer") };
}
