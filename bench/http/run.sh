#!/usr/bin/env bash
# The HTTP benchmark: Switchboard's POST /v1/embeddings against nginx and the Portkey gateway,
# all on loopback, with h2load (HTTP/1.1, keep-alive) as the load generator.
#
#   bench/http/run.sh [--build DIR] [--duration S] [--warmup S] [--runs N] [--rate R]
#                     [--low-rate R] [--connections N] [--no-batch] [--no-portkey] [--pin]
#                     [--log-level LEVEL] [--wait-idle S] [--keep] [--targets "T ..."]
#
# Targets, each at saturation (--connections connections, closed loop) and at a fixed --rate
# and --low-rate (open loop, 10 connections started apart so requests arrive evenly):
#   direct      the fake OpenAI itself (nginx answering a canned embeddings body)
#   nginx       nginx proxy_pass in front of the fake
#   portkey     the Portkey gateway (npm @portkey-ai/gateway) in front of the fake
#   host-real   `switchboard serve`, REAL mode, openai-embeddings plugin in front of the fake;
#               the default ledger_sync = "full": each paid call waits for its row's fsync
#   host-real-normal   the same with [cost] ledger_sync = "normal" (answered before the commit)
#   host-mock   `switchboard serve`, MOCK mode (no upstream)
# --targets measures only those (direct is always measured: the others are compared with it).
# "+p50/+p99" = the target's p50/p99 minus the direct call's, same run, load and body.
# Installs what it lacks (apt: nginx, nghttp2-client for h2load; npm: the gateway into BUILD/bench-node),
# builds the host if BUILD has none (scripts/build.sh, RelWithDebInfo), and stops everything it started.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$root/build
duration=10
warmup=2
runs=2
rate=2000
low_rate=200
connections=32
rate_clients=10
batch=1
portkey=1
pin=0
keep=0
wait_idle=120
log_level=warn
portkey_version=1.9.8   # 1.15.x does not start on Node 20
dimensions=1536
batch_size=8
only=""

usage() { sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while (($#)); do
    case $1 in
        --build) build=$(realpath -m "$2"); shift ;;
        --duration) duration=$2; shift ;;
        --warmup) warmup=$2; shift ;;
        --runs) runs=$2; shift ;;
        --rate) rate=$2; shift ;;
        --low-rate) low_rate=$2; shift ;;
        --connections) connections=$2; shift ;;
        --no-batch) batch=0 ;;
        --no-portkey) portkey=0 ;;
        --pin) pin=1 ;;
        --log-level) log_level=$2; shift ;;
        --wait-idle) wait_idle=$2; shift ;;
        --keep) keep=1 ;;
        --targets) only=$2; shift ;;
        -h|--help) usage 0 ;;
        *) echo "run.sh: unknown option '$1'" >&2; usage 2 >&2 ;;
    esac
    shift
done
((rate >= rate_clients)) || { echo "run.sh: --rate must be at least $rate_clients" >&2; exit 2; }

say() { printf '[bench] %s\n' "$*" >&2; }
die() { printf 'run.sh: %s\n' "$*" >&2; exit 1; }

# ---- tools -------------------------------------------------------------------------------
need_apt=()
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || need_apt+=(nginx)
command -v h2load >/dev/null || need_apt+=(nghttp2-client)
if ((${#need_apt[@]})); then
    say "installing ${need_apt[*]} with apt-get"
    sudo_cmd=(); ((EUID == 0)) || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
command -v node >/dev/null || die "Node.js is needed (request bodies, free ports, the Portkey gateway)"

switchboard=$build/bin/switchboard
plugins=$build/plugins
if [[ ! -x $switchboard || ! -e $plugins/mock-embeddings.so || ! -e $plugins/openai-embeddings.so ]]; then
    say "building the host in $build (RelWithDebInfo, as scripts/run.sh does)"
    BUILD_DIR=$build "$root/scripts/build.sh" switchboard switchboard_plugins >/dev/null
fi

# What is measured (and so started): direct always, the others as --targets says.
targets=(direct nginx)
((portkey)) && targets+=(portkey)
targets+=(host-real host-real-normal host-mock)
if [[ -n $only ]]; then
    chosen=(direct)
    for target in $only; do
        [[ " ${targets[*]} " == *" $target "* ]] || die "--targets: no target '$target' (${targets[*]})"
        [[ $target == direct ]] || chosen+=("$target")
    done
    targets=("${chosen[@]}")
fi
measured() { [[ " ${targets[*]} " == *" $1 "* ]]; }

node_dir=$build/bench-node
gateway=$node_dir/node_modules/@portkey-ai/gateway/build/start-server.js
if measured portkey && [[ ! -e $gateway ]]; then
    say "installing @portkey-ai/gateway@$portkey_version into $node_dir"
    mkdir -p "$node_dir"
    [[ -e $node_dir/package.json ]] || echo '{"private":true}' >"$node_dir/package.json"
    (cd "$node_dir" && npm install --no-audit --no-fund --loglevel=error "@portkey-ai/gateway@$portkey_version" >/dev/null)
fi

# ---- processes ---------------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/switchboard-bench.XXXXXX")
chmod 755 "$work"  # nginx workers run as nobody when started by root
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    if ((keep)); then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# With --pin the load generator gets CPU 0 and the servers the others.
ncpu=$(nproc)
load_cpus=""; server_cpus=""
if ((pin)) && ((ncpu >= 2)); then load_cpus=0; server_cpus=1-$((ncpu - 1)); fi
# Only ever run in the background (`on_servers CMD &`): exec, so $! is the server itself.
on_servers() { if [[ -n $server_cpus ]]; then exec taskset -c "$server_cpus" "$@"; else exec "$@"; fi; }
on_load() { if [[ -n $load_cpus ]]; then exec taskset -c "$load_cpus" "$@"; else exec "$@"; fi; }

free_port() {
    node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
wait_http() {  # wait_http URL: until it answers at all (any status), 20 s at most
    local i
    for ((i = 0; i < 200; ++i)); do
        curl -s -o /dev/null --max-time 1 "$1" && return 0
        sleep 0.1
    done
    die "nothing answers at $1 (logs in $work)"
}
fill() {  # fill TEMPLATE OUT KEY=VALUE...
    local template=$1 out=$2; shift 2
    local args=() pair
    for pair in "$@"; do args+=(-e "s|@${pair%%=*}@|${pair#*=}|g"); done
    sed "${args[@]}" "$template" >"$out"
}

node "$here/make_bodies.js" "$work" "$dimensions" "$batch_size"
cp "$here/openai_headers.conf" "$work/openai-headers.conf"
declare -A serves  # target -> its server pid(s)

fake_port=$(free_port)
fill "$here/fake_openai.conf.in" "$work/fake.conf" DIR="$work" PORT="$fake_port" WORKERS="$ncpu"
on_servers "$nginx_bin" -e "$work/fake-error.log" -p "$work" -c "$work/fake.conf" &
pids+=($!); serves[direct]=$!
fake=http://127.0.0.1:$fake_port
wait_http "$fake/"

if measured nginx; then
    proxy_port=$(free_port)
    fill "$here/nginx_proxy.conf.in" "$work/proxy.conf" DIR="$work" PORT="$proxy_port" FAKE_PORT="$fake_port" \
        WORKERS="$ncpu"
    on_servers "$nginx_bin" -e "$work/proxy-error.log" -p "$work" -c "$work/proxy.conf" &
    pids+=($!); serves[nginx]=$!
    proxy=http://127.0.0.1:$proxy_port
    wait_http "$proxy/"
fi

if measured portkey; then
    portkey_port=$(free_port)
    NODE_ENV=production on_servers node "$gateway" --port="$portkey_port" --headless >"$work/portkey.log" 2>&1 &
    pids+=($!); serves[portkey]=$!
    portkey_url=http://127.0.0.1:$portkey_port
    wait_http "$portkey_url/"
fi

export OPENAI_API_KEY=sk-bench-0000000000000000000000000000000000000000000000
start_host() {  # start_host TARGET TEMPLATE [KEY=VALUE...]: starts `switchboard serve`, sets host_url
    local name=$1 template=$2 i
    shift 2
    fill "$template" "$work/$name.toml" DIR="$work" PLUGIN_DIR="$plugins" FAKE_PORT="$fake_port" \
        DIMENSIONS="$dimensions" LOG_LEVEL="$log_level" NAME="$name" "$@"
    on_servers "$switchboard" serve --config "$work/$name.toml" --listen 127.0.0.1:0 \
        >"$work/$name.out" 2>"$work/$name.log" &
    pids+=($!); serves[$name]=$!
    host_url=""
    for ((i = 0; i < 200; ++i)); do
        host_url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/$name.out" 2>/dev/null | head -1 || true)
        [[ -n $host_url ]] && break
        kill -0 "${pids[-1]}" 2>/dev/null || die "switchboard serve ($name) exited: $(tail -5 "$work/$name.log")"
        sleep 0.1
    done
    [[ -n $host_url ]] || die "switchboard serve ($name) printed no URL (log: $work/$name.log)"
}
if measured host-mock; then start_host host-mock "$here/host_mock.toml.in"; mock_url=$host_url; fi
if measured host-real; then start_host host-real "$here/host_real.toml.in" LEDGER_SYNC=full; real_url=$host_url; fi
if measured host-real-normal; then
    start_host host-real-normal "$here/host_real.toml.in" LEDGER_SYNC=normal; real_normal_url=$host_url
fi

# ---- measuring ---------------------------------------------------------------------------
auth=(-H "authorization: Bearer $OPENAI_API_KEY" -H 'content-type: application/json')
url_of() {  # url_of TARGET BODY: where the target serves that request shape
    case $1 in
        direct) echo "$fake/$2/v1/embeddings" ;;
        nginx) echo "$proxy/$2/v1/embeddings" ;;
        portkey) echo "$portkey_url/v1/embeddings" ;;
        host-real) echo "$real_url/v1/embeddings" ;;
        host-real-normal) echo "$real_normal_url/v1/embeddings" ;;
        host-mock) echo "$mock_url/v1/embeddings" ;;
    esac
}
extra_headers() {  # extra_headers TARGET BODY: one argument per line
    [[ $1 == portkey ]] && printf '%s\n' -H 'x-portkey-provider: openai' -H "x-portkey-custom-host: $fake/$2/v1"
    return 0
}

# CPU accounting from /proc, in clock ticks: the machine's busy time, and a process tree's.
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
tree_ticks() {  # tree_ticks PID...: the processes and their children (nginx workers)
    local -a files=() pid child
    for pid in "$@"; do
        files+=("/proc/$pid/stat")
        for child in $(pgrep -P "$pid"); do files+=("/proc/$child/stat"); done
    done
    awk '{ sub(/.*\) /, ""); total += $12 + $13 } END { print total + 0 }' "${files[@]}" 2>/dev/null || true
}
tick_hz=$(getconf CLK_TCK)

# Other people's work on this machine (a build) skews every figure; wait for it to settle.
wait_for_quiet() {  # two quiet seconds in a row, or --wait-idle seconds
    local waited=0 quiet=0 before after busy
    while ((quiet < 2 && waited < wait_idle)); do
        before=$(busy_ticks); sleep 1; after=$(busy_ticks)
        busy=$(((after - before) * 100 / (tick_hz * ncpu)))
        if ((busy <= 10)); then quiet=$((quiet + 1)); else quiet=0; fi
        ((busy > 10 && waited == 0)) && say "the machine is ${busy}% busy with something else; waiting up to ${wait_idle}s"
        waited=$((waited + 1))
    done
}

# measure TARGET BODY LOAD RUN: one h2load point; appends a row to results.tsv:
# target body load run req/s p50 p99 non-2xx server-cpu-us/req other-cpu-%
# Latencies come from h2load's per-request log (request sent to last byte, microseconds).
# Fixed rates: h2load paces each connection with its own timer on a ~1 ms grid, so connections
# started together fire together (at 2000 req/s over 20 connections: bursts of 20 every 10 ms,
# which measures burst draining, not added latency). Connections are therefore started
# 1000/RATE ms apart (at least 1 ms): requests arrive evenly, two per millisecond at 2000 req/s.
measure() {  # measure_once, and once more if something else took the CPU meanwhile
    measure_once "$@"
    local other
    other=$(tail -1 "$work/results.tsv" | cut -f10)
    if [[ $other != - ]] && ((other > 10)); then
        say "run $4 $1 $2 $3: measured again, something else took ${other}% of the CPU"
        sed -i '$d' "$work/results.tsv"
        measure_once "$@"
    fi
}
measure_once() {
    local target=$1 body=$2 load=$3 run=$4 log=$work/point.log url
    url=$(url_of "$target" "$body")
    local -a headers shape
    mapfile -t headers < <(extra_headers "$target" "$body")
    wait_for_quiet
    local at=0
    case $load in
        fixed) at=$rate ;;
        low) at=$low_rate ;;
    esac
    if ((at > 0)); then
        # Open loop above the target's capacity only measures its queue; report that instead.
        local capacity
        capacity=$(awk -F'\t' -v t="$target" -v b="$body" -v r="$run" '$1 == t && $2 == b && $3 == "sat" && $4 == r { print $5 }' \
            "$work/results.tsv")
        if [[ -n $capacity ]] && ((capacity * 10 < at * 11)); then
            printf '%s\t%s\t%s\t%s\t%s\t-\t-\t0\t-\t-\n' "$target" "$body" "$load" "$run" "over" >>"$work/results.tsv"
            say "run $run $target $body $load: skipped, $target saturates at $capacity req/s"
            return
        fi
        local per_client spacing
        per_client=$(awk -v r="$at" -v c="$rate_clients" 'BEGIN { printf "%.4f", r / c }')
        spacing=$(awk -v r="$at" 'BEGIN { s = int(1000 / r + 0.5); print (s < 1 ? 1 : s) }')
        shape=(-c "$rate_clients" --rps "$per_client" -r 1 --rate-period "${spacing}ms")
        # Warm-up at the same shape (h2load takes no warm-up time with -r).
        on_load h2load --h1 -t 1 "${shape[@]}" -n $((at * warmup)) -d "$work/$body-request.json" "${auth[@]}" \
            "${headers[@]}" "$url" >"$work/h2load.out" 2>&1 &
        wait $! || die "h2load failed against $target: $(tail -3 "$work/h2load.out")"
        shape+=(-n $((at * duration)))
    else
        shape=(-c "$connections" -D "$duration" --warm-up-time "$warmup")
    fi
    # Kernel threads (children of kthreadd, pid 2) count as ours: at high rates they carry the
    # loopback traffic's softirq work.
    local -a ours=("${pids[@]}" 2) mine
    read -ra mine <<<"${serves[$target]}"
    rm -f "$log"
    on_load h2load --h1 -t 1 "${shape[@]}" --log-file "$log" -d "$work/$body-request.json" "${auth[@]}" \
        "${headers[@]}" "$url" >"$work/h2load.out" 2>&1 &
    local h2load_pid=$!
    # CPU over the measured phase, sampled while everything still runs.
    if ((at > 0)); then sleep 0.3; else sleep "$warmup"; fi
    local b0 m0 o0 b1 m1 o1 window
    o0=$(tree_ticks "${ours[@]}" "$h2load_pid"); m0=$(tree_ticks "${mine[@]}"); b0=$(busy_ticks)
    window=$(awk -v d="$duration" 'BEGIN { print d - 0.8 }')
    sleep "$window"
    o1=$(tree_ticks "${ours[@]}" "$h2load_pid"); m1=$(tree_ticks "${mine[@]}"); b1=$(busy_ticks)
    [[ -z ${BENCH_DEBUG:-} ]] || say "ticks: busy $((b1 - b0)) ours $((o1 - o0)) target $((m1 - m0)) (h2load $h2load_pid)"
    wait "$h2load_pid" || die "h2load failed against $target: $(tail -3 "$work/h2load.out")"
    local rps
    rps=$(sed -n 's/^finished in [0-9.]*s, \([0-9.]*\) req\/s.*/\1/p' "$work/h2load.out")
    sort -t$'\t' -k3,3n "$log" | awk -F'\t' -v d="$duration" -v w="$window" -v t="$target" -v b="$body" \
        -v l="$load" -v r="$run" -v mine=$((m1 - m0)) -v other=$((b1 - b0 - (o1 - o0))) -v hz="$tick_hz" \
        -v cpus="$ncpu" -v rps="$rps" -v conns="$connections" '
        # Status 0: a request h2load cut off when the time was up (at most one per connection).
        $2 == 0 { cut++; next }
        { n++; us[n] = $3; if ($2 < 200 || $2 > 299) bad++ }
        END {
            if (n == 0) { printf "%s\t%s\t%s\t%s\t0\t-\t-\t0\t-\t-\n", t, b, l, r; exit }
            p50 = us[int((n * 50 + 99) / 100)]; p99 = us[int((n * 99 + 99) / 100)]
            rate = rps > 0 ? rps : n / d
            cpu = mine / hz * 1e6 / (rate * w)
            if (cut > conns) bad += cut
            printf "%s\t%s\t%s\t%s\t%.0f\t%.3f\t%.3f\t%d\t%.0f\t%.0f\n", t, b, l, r, rate, p50 / 1000,
                   p99 / 1000, bad, cpu, (other < 0 ? 0 : other) * 100 / (hz * w * cpus)
        }' >>"$work/results.tsv"
    if awk -F'\t' '$2 != 0 && ($2 < 200 || $2 > 299) { bad = 1 } END { exit !bad }' "$log"; then
        say "$target answered non-2xx: $(awk -F'\t' '$2 != 0 && ($2 < 200 || $2 > 299) { n[$2]++ } END { for (s in n) printf "%s x%d ", s, n[s] }' "$log")"
        [[ $target == host-* ]] && say "its log ends: $(tail -3 "$work/$target.log" | cut -c1-300)"
    fi
    tail -1 "$work/results.tsv" | awk -F'\t' '{ printf "[bench] run %s %-16s %-6s %-5s %7s req/s  p50 %7s  p99 %7s ms  %5s us CPU/req%s%s\n",
        $4, $1, $2, $3, $5, $6, $7, $9, ($10 > 5 ? "  other load " $10 "%" : ""), ($8 ? "  NON-2XX " $8 : "") }' >&2
}

bodies=(single)
((batch)) && bodies+=(batch)
loads=(fixed)
((low_rate > 0)) && loads+=(low)
loads+=(sat)
: >"$work/results.tsv"

# Every target once, so each has its connections, JIT and caches warm before the clock runs.
for body in "${bodies[@]}"; do
    for target in "${targets[@]}"; do
        mapfile -t headers < <(extra_headers "$target" "$body")
        code=$(curl -s -o "$work/check.json" -w '%{http_code}' "${auth[@]}" "${headers[@]}" \
            --data-binary @"$work/$body-request.json" "$(url_of "$target" "$body")")
        [[ $code == 200 ]] || die "$target ($body) answered $code: $(head -c 300 "$work/check.json")"
    done
done

placement="unpinned"
((pin)) && placement="h2load on CPU $load_cpus, servers on CPUs $server_cpus"
say "$ncpu CPUs, $placement; ${duration}s per point after ${warmup}s warm-up; $runs run(s)"
for ((run = 1; run <= runs; ++run)); do
    for body in "${bodies[@]}"; do
        for target in "${targets[@]}"; do
            # Saturation first: the fixed-rate points skip a rate the target cannot sustain.
            measure "$target" "$body" sat "$run"
            measure "$target" "$body" fixed "$run"
            if ((low_rate > 0)); then measure "$target" "$body" low "$run"; fi
        done
    done
done

# ---- the table ---------------------------------------------------------------------------
echo
echo "POST /v1/embeddings on loopback; h2load -t1, HTTP/1.1 keep-alive. fixed = $rate req/s, low = $low_rate req/s:"
echo "open loop, $rate_clients connections started apart so requests arrive evenly; sat = $connections connections, closed"
echo "loop. ${duration}s per point after ${warmup}s warm-up; $ncpu CPUs, $placement. single = 1 short input,"
echo "batch = $batch_size inputs; $dimensions-dim base64 embeddings. +p50/+p99 = minus the direct call's (same run,"
echo "load, body). CPU = the target's own processes (not the fake behind it), us per request;"
echo "other% = CPU taken by anything else on the machine while measuring (should be ~0)."
awk -F'\t' -v targets="${targets[*]}" -v bodies="${bodies[*]}" -v loads="${loads[*]}" -v runs="$runs" '
    function added(x, y) { return (x == "-" || y == "-" || x == "" || y == "") ? "-" : sprintf("%.3f", x - y) }
    { key = $1 SUBSEP $2 SUBSEP $3 SUBSEP $4; for (i = 5; i <= 10; ++i) v[key, i] = $i; seen[key] = 1 }
    END {
        nt = split(targets, t, " "); nb = split(bodies, b, " "); nl = split(loads, l, " ")
        printf "%-16s %-7s %-6s %-4s %9s %9s %9s %9s %9s %8s %7s %6s\n", "target", "body", "load", "run", "req/s",
               "p50 ms", "p99 ms", "+p50 ms", "+p99 ms", "CPU us", "other%", "non2xx"
        for (x = 1; x <= nb; ++x) for (y = 1; y <= nl; ++y) for (z = 1; z <= nt; ++z) for (r = 1; r <= runs; ++r) {
            key = t[z] SUBSEP b[x] SUBSEP l[y] SUBSEP r
            direct = "direct" SUBSEP b[x] SUBSEP l[y] SUBSEP r
            if (!(key in seen)) continue
            a50 = "-"; a99 = "-"
            if (t[z] != "direct") { a50 = added(v[key, 6], v[direct, 6]); a99 = added(v[key, 7], v[direct, 7]) }
            rps = v[key, 5] == "over" ? "(over)" : v[key, 5]
            printf "%-16s %-7s %-6s %-4s %9s %9s %9s %9s %9s %8s %7s %6s\n", t[z], b[x], l[y], r, rps,
                   v[key, 6], v[key, 7], a50, a99, v[key, 9], v[key, 10], v[key, 8]
        }
        print "(over) = not measured: the target saturates below that rate."
    }' "$work/results.tsv"

# ---- the targets (single input) ------------------------------------------------------------
echo
awk -F'\t' -v rate="$rate" -v low="$low_rate" -v runs="$runs" '
    $2 == "single" { rps[$1, $3, $4] = $5; p99[$1, $3, $4] = $7; if ($8 > 0) errors[$4] = errors[$4] " " $1 "/" $3 }
    END {
        for (r = 1; r <= runs; ++r) {
            if (r in errors) printf "run %d: NOT VALID where there were non-2xx answers:%s\n", r, errors[r]
            for (h = 1; h <= 2; ++h) {
            name = h == 1 ? "host-real" : "host-real-normal"
            if (!((name, "sat", r) in rps)) continue
            host = p99[name, "fixed", r] - p99["direct", "fixed", r]
            verdict = "MISSED"; if (host <= 0.3) verdict = "met"
            printf "run %d: %s adds p99 %.3f ms at %d req/s (target <= 0.3 ms): %s\n", r, name, host, rate, verdict
            real = rps[name, "sat", r]; proxied = rps["nginx", "sat", r]
            if (proxied > 0) {
                verdict = "MISSED"; if (real >= 0.7 * proxied) verdict = "met"
                printf "run %d: %s saturates at %d req/s = %.2f x nginx proxy_pass (%d) (target >= 0.7): %s\n", r,
                       name, real, real / proxied, proxied, verdict
            }
            for (i = 1; i <= 2; ++i) {
                load = i == 1 ? "fixed" : "low"; at = i == 1 ? rate : low
                if (!(("portkey", load, r) in rps)) continue
                if (rps["portkey", load, r] == "over") {
                    printf "run %d: Portkey cannot sustain %d req/s (it saturates at %d)\n", r, at, rps["portkey", "sat", r]
                    continue
                }
                host = p99[name, load, r] - p99["direct", load, r]
                theirs = p99["portkey", load, r] - p99["direct", load, r]
                verdict = "MISSED"; if (theirs >= 10 * host) verdict = "met"
                factor = host > 0 ? sprintf("%.1f x", theirs / host) : "n/a (host adds nothing)"
                printf "run %d: at %d req/s Portkey adds p99 %.3f ms, %s %.3f ms: %s (target >= 10 x): %s\n", r,
                       at, theirs, name, host, factor, verdict
            }
            }
        }
    }' "$work/results.tsv"
if [[ -n ${RESULTS:-} ]]; then cp "$work/results.tsv" "$RESULTS"; fi
