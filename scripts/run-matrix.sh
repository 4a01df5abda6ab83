#!/usr/bin/env bash
# The reference compatibility report: installs what is missing, runs the whole suite against
# each of the six local stores in turn, Garage twice (raw probes, then Chromium, Firefox and WebKit;
# each store started and stopped by its run), keeps the normalised run records in
# reports/compatibility/runs/, and writes the matrix to reports/compatibility.md and
# reports/compatibility/index.html from them.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
scripts/install-stores.sh || exit 1
cargo build --release -q -p corsprobe || exit 1
bin=target/release/corsprobe
mkdir -p reports/runs
start=$(date +%s)
for target in ceph garage garage-global s3rver moto s3s-fs; do
  # A store's FAILs are findings, not a reason to stop: the gate's word is in each record.
  # One run id for every rerun: bucket names then diff cleanly in the committed records.
  "$bin" run --mode all --target "$target" --run-id reference --report-json "reports/runs/$target.json" > "reports/runs/$target.txt" 2>&1
  echo "run-matrix: $target: $(grep -E '^corsprobe: [0-9]+ passed' "reports/runs/$target.txt" | tail -n1 || tail -n1 "reports/runs/$target.txt")"
  # The Authorization page once more, in the browsers with the standard's rule switched on
  # (not on s3s-fs: it has no bucket CORS API, which its own run already says).
  [ "$target" = s3s-fs ] || "$bin" run --mode browser --browser chromium-standard --browser firefox-standard --target "$target" \
    --run-id standard --report-json "reports/runs/$target-standard.json" browser/authorization-header-star \
    > "reports/runs/$target-standard.txt" 2>&1
done
# LocalStack phones home: it and the suite run in a loopback-only network namespace.
unshare -n bash -c "ip link set lo up && $bin run --mode all --target localstack --run-id reference --report-json reports/runs/localstack.json" \
  > reports/runs/localstack.txt 2>&1
echo "run-matrix: localstack: $(grep -E '^corsprobe: [0-9]+ passed' reports/runs/localstack.txt | tail -n1 || tail -n1 reports/runs/localstack.txt)"
runs=()
for target in ceph garage garage-global localstack s3rver moto s3s-fs; do
  for run in "$target" "$target-standard"; do
    [ -f "reports/runs/$run.json" ] && runs+=("reports/runs/$run.json")
  done
done
rm -rf reports/compatibility
"$bin" matrix "${runs[@]}" --records reports/compatibility/runs --report-html reports/compatibility --report-md reports/compatibility.md
echo "run-matrix: ${#runs[@]} runs in $(( $(date +%s) - start )) s; see reports/compatibility.md"
