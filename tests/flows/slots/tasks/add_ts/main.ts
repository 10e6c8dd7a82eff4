type Inputs = { item: number; n: number };

export default async function (params: Inputs): Promise<{ item: number }> {
  return { item: params.item + params.n };
}
