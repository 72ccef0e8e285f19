#!/bin/bash
# crash-money.sh [SECONDS] [ROUNDS]: kill -9 the service while money moves,
# then prove nothing was lost or half-written.
#
# Starts `jiujinan serve --demo` on a fresh data folder (SQLite; set
# JIUJINAN_DATABASE_URL for MariaDB), then, in ROUNDS rounds: donors pledge to
# the demo's open needs, staff confirm the pledges and pay the needs' money
# out to a hospital, many requests at once; after SECONDS the process is
# killed with SIGKILL mid-flight and started again. At the end it runs
# `jiujinan audit-verify` (every audit chain, the ledger, each need's money by
# origin and each disbursement's parts) and exits non-zero on any problem.
#
# Needs: go, curl, jq.
set -euo pipefail
secs=${1:-3}
rounds=${2:-3}
work=${CRASH_DIR:-$(mktemp -d /tmp/jj-crash.XXXXXX)}
port=${CRASH_PORT:-18089}
cd "$(dirname "$0")/.."
go build -o "$work/jiujinan" ./cmd/jiujinan
export JIUJINAN_DATA_DIR=$work/data JIUJINAN_ADDR=127.0.0.1:$port
base=http://127.0.0.1:$port/api/v1

start() {
	"$work/jiujinan" serve --demo > "$work/serve.log" 2>&1 &
	pid=$!
	for _ in $(seq 1 120); do
		curl -sf "http://127.0.0.1:$port/healthz" > /dev/null 2>&1 && return 0
		sleep 0.5
	done
	echo "the service did not start"; tail -20 "$work/serve.log"; exit 1
}
login() { curl -sf "$base/auth/login" -H 'Content-Type: application/json' -d "{\"email\":\"$1\",\"password\":\"$2\"}" | jq -r .token; }

for round in $(seq 1 "$rounds"); do
	start
	donor=$(login donor@demo.jiujinan.cn demo-donor-pass)
	staff=$(login staff@demo.jiujinan.cn demo-staff-pass)
	needs=$(curl -sf "$base/needs?limit=50" | jq -r '.items[] | select(.region_code | startswith("371725")) | .id' | head -10)
	(
		for i in $(seq 1 200); do
			for n in $needs; do
				(
					p=$(curl -s "$base/pledges" -H "Authorization: Bearer $donor" -H 'Content-Type: application/json' \
						-d "{\"target_type\":\"need\",\"target_id\":\"$n\",\"amount_fen\":100}" | jq -r '.id // empty')
					[ -n "$p" ] && curl -s -o /dev/null -X POST "$base/pledges/$p/confirm" -H "Authorization: Bearer $staff"
					curl -s -o /dev/null "$base/needs/$n/disbursements" -H "Authorization: Bearer $staff" -H 'Content-Type: application/json' \
						-d '{"amount_fen":50,"payee_type":"provider","provider_kind":"hospital","payee_name":"郓城县人民医院","reference":"FP-2026-778899"}'
				) &
			done
			wait
		done
	) > /dev/null 2>&1 &
	load=$!
	sleep "$secs"
	kill -9 "$pid"
	wait "$pid" 2> /dev/null || true
	kill "$load" 2> /dev/null || true
	wait "$load" 2> /dev/null || true
	echo "round $round: killed the service with SIGKILL under load"
done
start
kill "$pid"; wait "$pid" 2> /dev/null || true
"$work/jiujinan" audit-verify
echo "crash-money: the books and the audit chains prove after $rounds kill -9 (work folder: $work)"
