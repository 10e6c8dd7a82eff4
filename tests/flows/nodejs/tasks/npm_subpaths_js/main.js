// The same imports from a JavaScript (ESM) block, with an extensionless relative import.
import dayjs from "dayjs";
import utc from "dayjs/plugin/utc";
import fp from "lodash/fp";
import { nanoid } from "nanoid/non-secure";
import { label } from "./lib/label";

dayjs.extend(utc);

export default function (params) {
  return {
    utc: label(dayjs.utc(params.iso).format("YYYY-MM-DD HH:mm")),
    upper: fp.map(fp.toUpper)(["a", "b"]),
    id_length: nanoid(8).length,
  };
}
