// Imports as OOMOL's bundling of a block resolves them: subpaths of a CommonJS package
// without `exports` ("dayjs/plugin/utc"), a subpath that is both a file and a folder
// ("lodash/fp"), a subpath through `exports` ("nanoid/non-secure"), a folder ("./lib").
import dayjs from "dayjs";
import utc from "dayjs/plugin/utc";
import fp from "lodash/fp";
import { nanoid } from "nanoid/non-secure";
import { label } from "./lib";

dayjs.extend(utc);

export default function (params: { iso: string }) {
  return {
    utc: label(dayjs.utc(params.iso).format("YYYY-MM-DD HH:mm")),
    upper: fp.map(fp.toUpper)(["a", "b"]),
    id_length: nanoid(8).length,
  };
}
