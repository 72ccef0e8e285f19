#!/bin/bash
# bench-import.sh ROWS [FILE]: import a generated payment file of ROWS rows
# with `jiujinan import-payments` into a fresh SQLite database and a fresh
# MariaDB database, and load the same file into a bare table with each
# database's own bulk loader (sqlite3 .import, LOAD DATA LOCAL INFILE), timing
# each with /usr/bin/time -v (wall time, CPU time, peak RSS).
#
# Needs: go, sqlite3 (apt-get install sqlite3), MariaDB on 127.0.0.1:3306
# (root, no password; MYSQL_DSN to change), /usr/bin/time (apt-get install time).
set -euo pipefail
rows=${1:-1000000}
file=${2:-}
work=${BENCH_DIR:-$(mktemp -d /tmp/jj-bench.XXXXXX)}
mysql_dsn=${MYSQL_DSN:-root@tcp(127.0.0.1:3306)/jj_bench}
cd "$(dirname "$0")/.."
go build -o "$work/jiujinan" ./cmd/jiujinan
if [ -z "$file" ]; then
	file=$work/payments-$rows.csv
	"$work/jiujinan" gen-payments --rows "$rows" --seed 1 --bad-share 0.01 > "$file"
fi
lines=$(($(wc -l < "$file") - 1))
echo "file: $file ($lines data rows, $(du -h "$file" | cut -f1)); load before: $(cut -d' ' -f1-3 /proc/loadavg)"

timed() { # NAME COMMAND...: run, print wall s, CPU s, peak RSS MB, rows/s
	local name=$1; shift
	/usr/bin/time -v -o "$work/time.$name" "$@" > "$work/out.$name" 2>&1 || { cat "$work/out.$name"; exit 1; }
	awk -v name="$name" -v rows="$lines" '
		/Elapsed \(wall clock\)/ { n = split($NF, p, ":"); wall = (n == 3) ? p[1]*3600 + p[2]*60 + p[3] : p[1]*60 + p[2] }
		/User time/ { user = $NF } /System time/ { sys = $NF }
		/Maximum resident set size/ { rss = $NF / 1024 }
		END { printf "%-28s %8.1f s wall %8.1f s CPU %8.0f MB peak RSS %10.0f rows/s\n", name, wall, user + sys, rss, rows / wall }' "$work/time.$name"
}

# SQLite: the service's import, then sqlite3 .import into a bare table.
rm -rf "$work/sqlite"; mkdir -p "$work/sqlite"
JIUJINAN_DATA_DIR=$work/sqlite "$work/jiujinan" migrate up > /dev/null 2>&1
JIUJINAN_DATA_DIR=$work/sqlite "$work/jiujinan" keys init > /dev/null
timed jiujinan-sqlite env JIUJINAN_DATA_DIR="$work/sqlite" "$work/jiujinan" import-payments "$file" --show 0
grep -E "accepted|duplicates|rejected  " "$work/out.jiujinan-sqlite" | tr -s ' ' | tr '\n' ';'; echo
rm -f "$work/bare.db"
sqlite3 "$work/bare.db" "PRAGMA journal_mode=WAL; CREATE TABLE bare (id_number TEXT, name TEXT, programme TEXT, amount TEXT, period TEXT, region_code TEXT);" > /dev/null
timed sqlite3-import-bare sqlite3 "$work/bare.db" -cmd ".mode csv" ".import --skip 1 $file bare"

# MariaDB: the service's import into a fresh database, then LOAD DATA into a bare table.
mysql -uroot -h127.0.0.1 -e "DROP DATABASE IF EXISTS jj_bench; CREATE DATABASE jj_bench CHARACTER SET utf8mb4"
rm -rf "$work/mysql"; mkdir -p "$work/mysql"
JIUJINAN_DATA_DIR=$work/mysql JIUJINAN_DATABASE_URL=$mysql_dsn "$work/jiujinan" migrate up > /dev/null 2>&1
JIUJINAN_DATA_DIR=$work/mysql JIUJINAN_DATABASE_URL=$mysql_dsn "$work/jiujinan" keys init > /dev/null
timed jiujinan-mariadb env JIUJINAN_DATA_DIR="$work/mysql" JIUJINAN_DATABASE_URL="$mysql_dsn" "$work/jiujinan" import-payments "$file" --show 0
grep -E "accepted|duplicates|rejected  " "$work/out.jiujinan-mariadb" | tr -s ' ' | tr '\n' ';'; echo
mysql -uroot -h127.0.0.1 jj_bench -e "CREATE TABLE bare (id_number VARCHAR(32), name VARCHAR(64), programme VARCHAR(32), amount VARCHAR(32), period VARCHAR(64), region_code VARCHAR(16)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
timed load-data-local-infile-bare mysql --local-infile=1 -uroot -h127.0.0.1 jj_bench -e \
	"LOAD DATA LOCAL INFILE '$file' INTO TABLE bare CHARACTER SET utf8mb4 FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' LINES TERMINATED BY '\n' IGNORE 1 LINES"
mysql -uroot -h127.0.0.1 -e "DROP DATABASE IF EXISTS jj_bench"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg); work folder: $work"
