#!/usr/bin/env bash
# Builds (if needed) and runs every benchmark binary of a build directory, writing each one's
# console output (<name>.txt) and JSON (<name>.json) to bench/out/.
#
#   bench/run.sh [build-dir]          # default: build-bench (relative to the repository root)
#   BENCH_MIN_TIME=0.5 bench/run.sh   # seconds per benchmark (default 0.2)
#   bench/run.sh build-bench --benchmark_filter=Authenticate   # extra flags go to every binary
#
# The build directory is configured (Release, FOREWARN_BENCH=ON) if it does not exist yet.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${here}/.." && pwd)"
build="${1:-build-bench}"
shift || true
case "${build}" in
  /*) ;;
  *) build="${root}/${build}" ;;
esac
min_time="${BENCH_MIN_TIME:-0.2}"
out="${here}/out"

if [[ ! -f "${build}/build.ninja" && ! -f "${build}/Makefile" ]]; then
  cmake -S "${root}" -B "${build}" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFOREWARN_BENCH=ON
fi
cmake --build "${build}" --target bench

mkdir -p "${out}"
found=0
while IFS= read -r -d '' binary; do
  name="$(basename "${binary}")"
  found=1
  echo "=== ${name}"
  # A bare number of seconds: accepted by Google Benchmark 1.7 (1.8+ also takes "0.2s").
  "${binary}" --benchmark_min_time="${min_time}" \
    --benchmark_out="${out}/${name}.json" --benchmark_out_format=json --benchmark_color=false \
    "$@" \
    2>&1 | tee "${out}/${name}.txt"
done < <(find "${build}/bench" -maxdepth 1 -type f -name '*_bench' -perm -u+x -print0 | sort -z)

if [[ "${found}" == 0 ]]; then
  echo "no *_bench binaries in ${build}/bench" >&2
  exit 1
fi
echo "results in ${out}"
