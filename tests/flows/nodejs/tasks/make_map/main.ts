// A Map is no JSON value: it stays in this worker and travels as a reference.
export default function () {
  return { map: new Map([["answer", 42]]) };
}
