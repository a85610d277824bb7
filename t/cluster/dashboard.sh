#!/bin/sh
# The dashboard and the performance report, on a running cluster: every JSON
# endpoint parses, /metrics is valid Prometheus text, /health answers, the
# pages render in headless Chromium with every worker and the running
# function's progress, bad requests (oversized, malformed, too slow) are
# refused with a 4xx while the job goes on, a connection carries several
# requests, 1,000 idle connections do not keep /health from answering, the
# addresses (127.0.0.1:0, :0, none) behave, the port closes at shutdown, and
# the report holds the job's functions.
. "$top_srcdir/t/tap/tap.sh"

py=/usr/bin/python3
helpers=$top_srcdir/t/cluster/dashboard
client=$top_builddir/t/cluster/dashboard/busy-client
[ -x "$py" ] || skip_all "no /usr/bin/python3"
chromium=
for c in chromium chromium-browser; do
    command -v "$c" >/dev/null 2>&1 && { chromium=$(command -v "$c"); break; }
done
plan 60

http () { "$py" "$helpers/http.py" "$@"; }

# start_job NAME ADDRESS: the busy client under dask-mpi-run, in the
# background, with the dashboard at ADDRESS; its files in NAME/.
start_job () {
    mkdir -p "$1"
    (
        export DASK_MPI_DASHBOARD_ADDRESS="$2" DASK_MPI_TEST_TAG="$TAP_TMPDIR/$1"
        export DASK_MPI_PERFORMANCE_REPORT="$TAP_TMPDIR/$1/report.html"
        run_mpi 240 "$DASK_MPI_RUN" -n 4 "$client" "$TAP_TMPDIR/$1" 180 2
        cp "$RUN_OUT" "$1/out"; cp "$RUN_ERR" "$1/err"
        echo "$RUN_STATUS $RUN_LEFTOVER $RUN_TIMED_OUT" >"$1/status"
    ) &
    job_pid=$!
}

# wait_file FILE SECONDS: until FILE exists (or the job ended).
wait_file () {
    _i=0
    while [ ! -s "$1" ] && [ $_i -lt $(($2 * 10)) ]; do
        kill -0 "$job_pid" 2>/dev/null || break
        sleep 0.1; _i=$((_i + 1))
    done
    [ -s "$1" ]
}

stop_job () {
    touch "$1/stop"
    wait "$job_pid"
    read -r job_status job_leftover job_timed_out <"$1/status" || job_status=missing
}

rounds () { cat "$1/rounds" 2>/dev/null || echo 0; }

json_ok () {  # json_ok FILE PYTHON-EXPR: FILE parses, and EXPR (of d) holds
    "$py" -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2"
}

# ---- a job with the dashboard on 127.0.0.1, any free port ----------------------------
start_job live 127.0.0.1:0
ok "the client learns the dashboard address" wait_file live/address 60
addr=$(cat live/address 2>/dev/null)
like "$addr" "127.0.0.1:[1-9]*" "port 0 gives a real port ($addr)"
port=${addr##*:}
# Open MPI listens in every rank: the scheduler has one port more than a worker.
"$py" "$helpers/ports.py" "$TAP_TMPDIR/live" dask-mpi-scheduler >sched-ports
"$py" "$helpers/ports.py" "$TAP_TMPDIR/live" dask-mpi-worker >worker-ports
ok "the scheduler listens on that port, and on one port more than a worker" \
    sh -c "grep -qx '$port' sched-ports && test \$(wc -l <sched-ports) -eq \$((\$(wc -l <worker-ports) + 1))"
ok "a round of sleep tasks has run" wait_file live/rounds 60

is "$(http "$addr" get /health health.txt)" 200 "/health answers 200 while the job runs"
is "$(cat health.txt)" ok "... with ok"
is "$(http "$addr" get /json/workers workers.json)" 200 "/json/workers: 200"
ok "... parses, two live workers" \
    json_ok workers.json 'len(d) == 2 and all(w["alive"] and w["nthreads"] > 0 and w["ahead"] >= 0 for w in d)'
is "$(http "$addr" get /json/functions functions.json)" 200 "/json/functions: 200"
ok "... parses, has inc, fail and sleep" json_ok functions.json '{"inc", "fail", "sleep"} <= {f["name"] for f in d}'
is "$(http "$addr" get /json/stats stats.json)" 200 "/json/stats: 200"
ok "... parses, counts tasks" json_ok stats.json 'd["workers"] == 2 and d["submitted"] >= 101 and "processing" in d["states"]'
is "$(http "$addr" get '/json/stream?after=0' stream.json)" 200 "/json/stream: 200"
ok "... parses, has runs with rank, thread, times" \
    json_ok stream.json 'd["last"] > 0 and all(e["stop"] >= e["start"] and e["rank"] >= 2 for e in d["entries"])'
last=$("$py" -c 'import json, sys; print(json.load(open(sys.argv[1]))["last"])' stream.json)
http "$addr" get "/json/stream?after=$last" stream2.json >/dev/null
ok "... after=SEQ gives only newer runs" json_ok stream2.json "all(e['seq'] > $last for e in d['entries'])"
is "$(http "$addr" get /json/errors errors.json)" 200 "/json/errors: 200"
ok "... parses, names the failed key and its message" \
    json_ok errors.json 'any(e["key"] == "broken-on-purpose" and "the dashboard must show this" in e["message"] for e in d)'
is "$(http "$addr" get /metrics metrics.txt)" 200 "/metrics: 200"
ok "... is valid Prometheus text" "$py" "$helpers/promcheck.py" metrics.txt
ok "... counts the workers and the sleep tasks" \
    sh -c 'grep -qx "daskmpi_workers 2" metrics.txt && grep -q "^daskmpi_function_tasks{function=\"sleep\",state=\"processing\"}" metrics.txt && grep -q "^daskmpi_worker_rss_bytes{rank=\"2\"}" metrics.txt'
"$py" "$helpers/promcheck.py" metrics.txt | head -n 5 | while read -r l; do diag "$l"; done

# Bad requests: refused, and the scheduler keeps scheduling.
before=$(rounds live)
is "$(http "$addr" get /no/such/page)" 404 "an unknown path: 404"
is "$(http "$addr" get /../../etc/passwd passwd.txt)" 404 "/../../etc/passwd: 404"
ok "... and no file content" sh -c '! grep -q "root:" passwd.txt'
like "$(http "$addr" get /%2e%2e/%2e%2e/etc/passwd)" "4[0-9][0-9]" "/%2e%2e/%2e%2e/etc/passwd: 4xx"
is "$(http "$addr" get /static/../../../etc/hostname)" 404 "/static/../../../etc/hostname: 404"
is "$(http "$addr" post /status)" 405 "POST: 405"
# The request head is bounded (32 KiB, 100 header lines, 10 s: SECURITY in dask-mpi-run(1)).
is "$(http "$addr" huge-header)" 431 "a 1 MiB header: 431"
is "$(http "$addr" many-headers)" 431 "2000 headers: 431"
is "$(http "$addr" long-uri)" 414 "a 64 KiB request line: 414"
is "$(http "$addr" keep-alive 3)" "200 200 200" "keep-alive: three requests on one connection, all answered"
is "$(http "$addr" keep-alive-many)" "200 431" \
    "every request on a kept-alive connection passes the gate: 2000 headers after a kept-alive GET: 431"
is "$(http "$addr" huge-body)" 413 "a request announcing a 1 GiB body: 413"
is "$(http "$addr" malformed)" 400 "a request that is not HTTP: 400"
is "$(http "$addr" bad-request-line)" 400 "a request line without a version: 400"
# The server must hang up long before the client gives up (the bound is 10 s).
is "$(http "$addr" slow-head 60)" 408 "a head that trickles in and never ends: 408, then closed"
is "$(http "$addr" head /status)" "200 0" "HEAD /status: 200, no body"
# Connections that send nothing or half a head hold a record each, not a
# slot out of 64 (gate.c): a fresh request is still answered at once.
held=$(http "$addr" hold 1000)
note "$held"
read -r _ _ _ held_open _ held_status _ held_ms <<EOF
$held
EOF
ok "1,000 idle or half-sent connections held: /health still answers, within 1 s ($held_status, $held_ms ms)" \
    test "$held_status" = 200 -a "${held_ms:-9999}" -lt 1000
is "$held_open" 1000 "... and none of the 1,000 was dropped (there is room for them)"
is "$(http "$addr" get /info/worker/99)" 404 "the page of a worker that does not exist: 404"
_i=0
while [ "$(rounds live)" -le "$((before + 1))" ] && [ $_i -lt 300 ]; do sleep 0.1; _i=$((_i + 1)); done
ok "the scheduler keeps scheduling after the bad requests (rounds $before → $(rounds live))" \
    test "$(rounds live)" -gt "$((before + 1))"
is "$(http "$addr" get /health)" 200 "/health still answers"

# The pages in a browser.
browse () {  # browse PATH ARGS...: dump the DOM (or what ARGS ask) of a page
    _path=$1; shift
    timeout -k 5 90 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync --disable-dev-shm-usage \
        --user-data-dir="$(mktemp -d "$TAP_TMPDIR/chromium.XXXXXX")" --virtual-time-budget=5000 \
        "$@" "http://$addr$_path" 2>>chromium.err
}
if [ -n "$chromium" ]; then
    browse /status --dump-dom >status.html
    ok "/status renders in Chromium, live ('live' badge)" grep -q 'id="state">live' status.html
    ok "... and shows every worker" sh -c "for r in \$(\"$py\" -c 'import json; print(*[w[\"rank\"] for w in json.load(open(\"workers.json\"))])'); do grep -q \"<tr data-rank=\\\"\$r\\\"\" status.html || exit 1; done"
    ok "... and the progress of the running function (sleep)" \
        grep -q 'data-function="sleep".*<span class="count">[0-9]* / [0-9]*' status.html
    browse /status --screenshot="$TAP_TMPDIR/status.png" --window-size=1280,900 >/dev/null
    ok "a screenshot of /status is taken" test -s status.png
    cp status.png "$top_builddir/t/cluster/dashboard-status.png" 2>/dev/null \
        && note "screenshot kept in $top_builddir/t/cluster/dashboard-status.png"
    browse /info --dump-dom >info.html
    ok "/info lists the workers and the error with its key and message" \
        sh -c 'grep -q "href=\"/info/worker/2\"" info.html && grep -q "broken-on-purpose" info.html && grep -q "the dashboard must show this" info.html'
    browse /info/worker/2 --dump-dom >worker.html
    ok "/info/worker/2 shows that worker" grep -q 'Worker rank 2 on' worker.html
else
    skip "no chromium" 6
fi

stop_job live
is "$job_status" 0 "the job finishes and succeeds"
ok "... every check of the client passed" grep -q '^all checks passed' live/out
is "$job_leftover" 0 "... and leaves no process"
ok "the client printed 'Dask dashboard on $addr'" grep -qx "Dask dashboard on $addr" live/out
ok "the port is closed after shutdown" http "$addr" closed
ok "the performance report exists and holds the job's functions" \
    sh -c 'grep -q ">sleep<" live/report.html && grep -q ">inc<" live/report.html && grep -q ">fail<" live/report.html'
ok "... and is self-contained (no src= or href=, no <script>)" \
    sh -c '! grep -Eq "(src|href)=|<script" live/report.html'
[ "$job_status" = 0 ] || { diag_file live/out; diag_file live/err; }

# ---- all interfaces: the printed host is the node's address, not localhost -----------
start_job all :0
wait_file all/address 60
addr=$(cat all/address 2>/dev/null)
case $addr in
    127.* | localhost:* | :* | '') fail "':0' prints a cluster address ($addr)" ;;
    *) ok "':0' prints an address of this node ($addr)" sh -c "hostname -I | tr ' ' '\n' | grep -qx '${addr%:*}' || getent hosts '${addr%:*}' >/dev/null" ;;
esac
is "$(http "$addr" get /health)" 200 "... which answers"
stop_job all
is "$job_status" 0 "... and the job succeeds"

# ---- none: no port -----------------------------------------------------------
start_job none none
wait_file none/rounds 60
"$py" "$helpers/ports.py" "$TAP_TMPDIR/none" dask-mpi-scheduler >sched-ports
"$py" "$helpers/ports.py" "$TAP_TMPDIR/none" dask-mpi-worker >worker-ports
is "$(wc -l <sched-ports)" "$(wc -l <worker-ports)" \
    "--dashboard-address none: the scheduler listens on no more ports than a worker (MPI's own)"
stop_job none
is "$job_status" 0 "... and the job succeeds"
ok "... and the client prints no dashboard line" sh -c '! grep -q "Dask dashboard" none/out'
