#!/usr/bin/env bash
# Install the peer engines the benchmarks compare oocana-local with, each into its own
# virtual environment under benchmarks/.peers/<name>/ (gitignored). They are never
# dependencies of oocana-local.
#
#   bash benchmarks/setup_peers.sh            # all peers
#   bash benchmarks/setup_peers.sh dagster    # only some
#
# A peer that fails to install is reported and left out; `benchmarks/run.py` then reports it
# as missing. The python used is $PYTHON (default: the python on PATH).
set -u
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/.peers"
python="${PYTHON:-python3}"
mkdir -p "$root"

declare -A packages=(
  [dagster]="dagster pandas"
  # prefect-ray: the RayTaskRunner that benchmarks/ray_overhead.py compares with.
  [prefect]="prefect prefect-ray pandas fastapi>=0.139,<0.140"  # fastapi 0.165 breaks prefect 3.8 (Body(min_items))
  [kedro]="kedro pandas"
)
names=("$@")
[ ${#names[@]} -eq 0 ] && names=(dagster prefect kedro)

status=0
for name in "${names[@]}"; do
  pkgs="${packages[$name]:-}"
  if [ -z "$pkgs" ]; then echo "unknown peer: $name" >&2; status=2; continue; fi
  venv="$root/$name"
  log="$root/$name.log"
  echo "== $name: installing $pkgs into $venv (log: $log)"
  rm -rf "$venv"
  if "$python" -m venv "$venv" >"$log" 2>&1 \
     && "$venv/bin/python" -m pip install --quiet --disable-pip-version-check $pkgs >>"$log" 2>&1; then
    "$venv/bin/python" -m pip freeze 2>/dev/null | grep -iE "^($name|pandas)==" | sed "s/^/   /"
    echo "   ok"
  else
    echo "   FAILED: see $log" >&2
    rm -rf "$venv"
    status=1
  fi
done
exit $status
