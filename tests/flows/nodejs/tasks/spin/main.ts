export default function () {
  for (;;) { /* never ends: only the node's timeout stops it */ }
}
