function inner(): never {
  throw new Error("boom from typescript");
}

export default async function () {
  inner();
}
