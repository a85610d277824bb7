#!/bin/sh
# The launcher dask-mpi-run, with fake roles: which rank becomes which role,
# that arguments and options arrive intact, that the exit status is the
# client's, and that too small a world is a clear error rather than a hang.
. "${top_srcdir:?top_srcdir is not set}/t/tap/tap.sh"

run=${DASK_MPI_RUN:?DASK_MPI_RUN is not set}
mpirun=${DASK_MPI_MPIRUN:-mpirun}
[ -x "$run" ] || skip_all "$run is not built"
command -v "$mpirun" >/dev/null 2>&1 || skip_all "no mpirun ($mpirun)"

# The fakes: each records its role, arguments and settings in out/rank.N.
mkdir out bin
export FAKE_OUT=$TAP_TMPDIR/out
for role in scheduler worker client; do
    printf '#!/bin/sh\nexec /bin/sh "%s" %s "$@"\n' \
        "$top_srcdir/t/cluster/fake-role.sh" "$role" >"fake-$role"
    chmod +x "fake-$role"
done
cp fake-client bin/fake-client-on-path
export DASK_MPI_SCHEDULER=$TAP_TMPDIR/fake-scheduler
export DASK_MPI_WORKER=$TAP_TMPDIR/fake-worker

# A fake mpirun that records its command line and starts nothing.
cat >fake-mpirun <<EOF
#!/bin/sh
[ "\$1" = --version ] && { echo 'mpirun (Open MPI) 4.1.0'; exit 0; }
printf '%s\n' "\$@" >"$TAP_TMPDIR/mpirun.args"
exit 0
EOF
chmod +x fake-mpirun

# roles: the roles recorded, in rank order, one line.
roles () {
    for f in $(ls out | sort -t. -k2n); do
        sed -n 's/^role=//p' "out/$f"
    done | tr '\n' ' ' | sed 's/ $//'
}

# expect_roles N: "scheduler client worker ..." for N ranks.
expect_roles () {
    printf 'scheduler client'
    i=2
    while [ $i -lt "$1" ]; do printf ' worker'; i=$((i + 1)); done
}

# What the client received, one argument a line.
client_args () { sed -n 's/^arg=//p' out/rank.1 2>/dev/null; }

nl='
'
want_args="[a b]${nl}[two  spaces]${nl}[]${nl}[--nthreads]${nl}[x*y]"

plan 72

# ---- dispatch by rank under a real mpirun --------------------------------------
for n in 3 4 8; do
    rm -f out/*
    run_mpi 60 "$run" -n "$n" ./fake-client "a b" "two  spaces" "" --nthreads 'x*y'
    is "$RUN_STATUS" 0 "-n $n: exit status 0" || diag_file "$RUN_ERR"
    is "$(roles)" "$(expect_roles "$n")" "-n $n: rank 0 scheduler, rank 1 client, the rest workers"
    is "$(client_args)" "$want_args" "-n $n: the client's arguments arrive intact"
    is "$RUN_LEFTOVER" 0 "-n $n: no process left behind"
done

rm -f out/*
PATH=$TAP_TMPDIR/bin:$PATH run_mpi 60 "$run" -n 3 -- fake-client-on-path "a b"
is "$RUN_STATUS" 0 "a client found on PATH runs" || diag_file "$RUN_ERR"
is "$(client_args)" "[a b]" "... with its argument"

rm -f out/*
run_mpi 60 "$run" -n 3 "$TAP_TMPDIR/fake-client"
is "$(roles)" "scheduler client worker" "a client given by absolute path runs"

# Without DASK_MPI_SCHEDULER/WORKER the roles beside the launcher run (an
# installed bindir, or the build tree).
rm -f out/*
mkdir beside
cp "$run" beside/dask-mpi-run
cp fake-scheduler beside/dask-mpi-scheduler
cp fake-worker beside/dask-mpi-worker
DASK_MPI_SCHEDULER='' DASK_MPI_WORKER='' run_mpi 60 beside/dask-mpi-run -n 3 ./fake-client
is "$RUN_STATUS:$(roles)" "0:scheduler client worker" "the roles beside the launcher are found" \
    || diag_file "$RUN_ERR"

# ---- the exit status is the client's -------------------------------------------
rm -f out/*
FAKE_CLIENT_STATUS=7 run_mpi 60 "$run" -n 3 ./fake-client
is "$RUN_STATUS" 7 "a client that exits 7: dask-mpi-run exits 7"

rm -f out/*
FAKE_CLIENT_STATUS=7 FAKE_ROLE_SLEEP=60 run_mpi 60 "$run" -n 4 ./fake-client
is "$RUN_STATUS" 7 "client exits 7 while the others wait: exit 7"
ok "... and the others are stopped at once (${RUN_ELAPSED}s)" \
    awk "BEGIN { exit !($RUN_ELAPSED < 30) }"
is "$RUN_LEFTOVER" 0 "... leaving no process behind"

rm -f out/*
FAKE_ROLE_SLEEP=60 run_mpi 60 "$run" -n 3 sh -c 'kill -KILL $$'
is "$RUN_STATUS" 137 "a client killed by SIGKILL: exit 137"
is "$RUN_LEFTOVER" 0 "... leaving no process behind"

rm -f out/*
run_mpi 60 "$run" -n 3 ./no-such-client
is "$RUN_STATUS" 127 "a missing client: exit 127"
like "$(cat "$RUN_ERR")" "*rank 1: client ./no-such-client not found*" "... saying so"

# ---- too few ranks ---------------------------------------------------------------
rm -f out/* mpirun.args
run_mpi 30 "$run" --mpirun "$TAP_TMPDIR/fake-mpirun" -n 2 ./fake-client
is "$RUN_STATUS" 2 "-n 2: exit status 2"
like "$(cat "$RUN_ERR")" "*needs at least 3 MPI ranks*-n 2 is too few*" "-n 2: a clear message"
ok "-n 2: nothing is launched" test ! -e mpirun.args -a -z "$(ls out)"

rm -f out/*
run_mpi 60 "$mpirun" -n 2 "$run" ./fake-client
is "$RUN_STATUS" 2 "inside an MPI world of 2 ranks: exit status 2"
is "$(grep -c 'needs at least 3 MPI ranks.*this MPI job has 2' "$RUN_ERR")" 1 \
    "... the clear message, once"
is "$(ls out)" "" "... no role started"
is "$RUN_TIMED_OUT" 0 "... no hang (${RUN_ELAPSED}s)"

OMPI_COMM_WORLD_RANK=1 OMPI_COMM_WORLD_SIZE=2 run_mpi 30 "$run" ./fake-client
is "$RUN_STATUS:$(ls out)" "2:" "world of 2, rank 1: exits 2 without starting the client"
PMI_RANK=0 PMI_SIZE=1 run_mpi 30 "$run" ./fake-client
like "$RUN_STATUS:$(cat "$RUN_ERR")" "2:*this MPI job has 1*" "PMI_SIZE=1: refused with the message"

# ---- options and environment reach the roles -------------------------------------
rm -f out/*
mkdir spill
DASK_MPI_NTHREADS=9 DASK_MPI_LOG_LEVEL=error run_mpi 60 "$run" -n 3 --nthreads 3 \
    --memory-limit=1000000 --local-directory "$TAP_TMPDIR/spill" --log-level debug ./fake-client
want_env="DASK_MPI_LOCAL_DIRECTORY=$TAP_TMPDIR/spill${nl}DASK_MPI_LOG_LEVEL=debug${nl}DASK_MPI_MEMORY_LIMIT=1000000${nl}DASK_MPI_NTHREADS=3"
for r in 0 1 2; do
    is "$(grep '^DASK_MPI_' "out/rank.$r" 2>/dev/null)" "$want_env" "options reach rank $r, over the environment"
done

rm -f out/*
DASK_MPI_NTHREADS=5 run_mpi 60 "$run" -n 3 ./fake-client
is "$(grep '^DASK_MPI_NTHREADS' out/rank.2 2>/dev/null)" "DASK_MPI_NTHREADS=5" \
    "DASK_MPI_NTHREADS from the environment reaches a worker"

# ---- --dashboard-address, with the real roles -------------------------------------
real_roles () {
    DASK_MPI_SCHEDULER=$top_builddir/bin/dask-mpi-scheduler DASK_MPI_WORKER=$top_builddir/bin/dask-mpi-worker \
        run_mpi 120 "$run" "$@" "$top_builddir/t/cluster/test-client" compute
}
real_roles -n 3 --dashboard-address :0
is "$RUN_STATUS" 0 "--dashboard-address :0: the job succeeds" || { diag_file "$RUN_OUT"; diag_file "$RUN_ERR"; }
like "$(grep '^Dask dashboard on ' "$RUN_OUT")" "Dask dashboard on ?*:[1-9]*" \
    "... and the client prints the dashboard with the port it got"
is "$RUN_LEFTOVER" 0 "... leaving no process behind"
real_roles -n 3 --dashboard-address=none
is "$RUN_STATUS" 0 "--dashboard-address=none: the job succeeds" || { diag_file "$RUN_OUT"; diag_file "$RUN_ERR"; }
is "$(grep -c 'Dask dashboard' "$RUN_OUT")" 0 "... and the client prints no dashboard line"
DASK_MPI_DASHBOARD_ADDRESS=none real_roles -n 3 --dashboard-address 127.0.0.1:0
like "$(grep '^Dask dashboard on ' "$RUN_OUT")" "Dask dashboard on 127.0.0.1:[1-9]*" \
    "--dashboard-address 127.0.0.1:0 wins over DASK_MPI_DASHBOARD_ADDRESS=none"

# ---- dispatch by PMIX_RANK and PMI_RANK (run directly, as a rank would be) -------
for var in PMIX_RANK PMI_RANK; do
    rm -f out/*
    for r in 0 1 5; do
        env "$var=$r" "$run" ./fake-client "a b" >/dev/null 2>&1
    done
    is "$(sed -n 's/^role=//p' out/rank.0 out/rank.1 out/rank.5 2>/dev/null | tr '\n' ' ')" \
        "scheduler client worker " "$var 0, 1, 5: scheduler, client, worker"
done

# ---- the mpirun command line --------------------------------------------------------
rm -f mpirun.args
"$run" --mpirun "$TAP_TMPDIR/fake-mpirun" -n 64 --nthreads 2 ./fake-client x >/dev/null 2>&1
args=$(tr '\n' ' ' <mpirun.args 2>/dev/null)
like "$args" "*-n 64 *" "mpirun gets -n 64"
like "$args" "*--oversubscribe*--mca mpi_yield_when_idle 1*" "more ranks than cores: oversubscribe, yield when idle"
like "$args" "*--bind-to none*" "ranks are not bound"
like "$args" "*-x DASK_MPI_NTHREADS *" "DASK_MPI_NTHREADS is exported to remote ranks"
rm -f mpirun.args
"$run" --mpirun "$TAP_TMPDIR/fake-mpirun" -n 3 --dashboard-address '[::1]:8788' ./fake-client >/dev/null 2>&1
like "$(tr '\n' ' ' <mpirun.args 2>/dev/null)" "*-x DASK_MPI_DASHBOARD_ADDRESS *" \
    "--dashboard-address is exported to remote ranks as DASK_MPI_DASHBOARD_ADDRESS"
like "$args" "*/dask-mpi-run -- ./fake-client x " "mpirun starts the launcher on the client"
if [ "$(id -u)" -eq 0 ]; then
    like "$args" "*--allow-run-as-root*" "as root: --allow-run-as-root"
else
    is "$(grep -c -- --allow-run-as-root mpirun.args)" 0 "not root: no --allow-run-as-root"
fi

# --host and --hostfile go to mpirun; the settings of this machine's
# cores and launcher do not, and without -n mpirun counts the slots.
rm -f mpirun.args
"$run" --mpirun "$TAP_TMPDIR/fake-mpirun" -n 64 --host 'a:32,b:32' ./fake-client x >/dev/null 2>&1
args=$(tr '\n' ' ' <mpirun.args 2>/dev/null)
like "$args" "*--host a:32,b:32 *-n 64 *" "--host LIST reaches mpirun, with -n"
like "$args" "*/dask-mpi-run -- ./fake-client x " "... mpirun starts the launcher on the client"
ok "... without this machine's oversubscription or local launcher" \
    sh -c "! grep -qx -e --oversubscribe -e 'plm_rsh_agent' mpirun.args"
printf 'a slots=2\nb slots=2\n' >hosts
rm -f mpirun.args
"$run" --mpirun "$TAP_TMPDIR/fake-mpirun" --hostfile=hosts ./fake-client >/dev/null 2>&1
args=$(tr '\n' ' ' <mpirun.args 2>/dev/null)
like "$args" "*--hostfile hosts *" "--hostfile FILE reaches mpirun"
is "$(grep -c -x -e -n -e --np mpirun.args)" 0 "... and without -n, mpirun starts one rank per slot"
rm -f mpirun.args
"$run" --mpirun "$TAP_TMPDIR/fake-mpirun" --hostfile no-such-file ./fake-client >err.out 2>&1
is "$?:$(head -n 1 err.out)" "2:dask-mpi-run: --hostfile: cannot read 'no-such-file'" "an unreadable --hostfile: a usage error"
ok "... and nothing is launched" test ! -e mpirun.args
rm -f mpirun.args
"$run" --mpirun "$TAP_TMPDIR/fake-mpirun" --host a:1,b:1 -n 2 ./fake-client >err.out 2>&1
like "$?:$(cat err.out)" "2:*-n 2 is too few*" "--host with -n 2: too few ranks, nothing launched"
# Another MPI's mpiexec (Hydra) spells them -hosts and -f.
sed 's/(Open MPI) 4.1.0/(HYDRA build details)/' fake-mpirun >fake-mpiexec
chmod +x fake-mpiexec
"$run" --mpirun "$TAP_TMPDIR/fake-mpiexec" --host a:2,b:2 --hostfile hosts ./fake-client >/dev/null 2>&1
like "$(tr '\n' ' ' <mpirun.args 2>/dev/null)" "-hosts a:2,b:2 -f hosts */dask-mpi-run -- ./fake-client " \
    "another MPI: -hosts LIST and -f FILE"
# Inside an MPI job they change nothing: the rank becomes its role.
rm -f out/*
OMPI_COMM_WORLD_RANK=1 OMPI_COMM_WORLD_SIZE=4 "$run" --host a:2,b:2 --hostfile no-such-file ./fake-client "a b" >/dev/null 2>&1
is "$?:$(sed -n 's/^role=//p' out/rank.1 2>/dev/null):$(client_args)" "0:client:[a b]" \
    "inside an MPI job --host and --hostfile change nothing"

# No ssh or rsh on the machine: Open MPI must still start locally. PATH gets
# every program of the system except those.
mkdir nossh
for dir in /usr/local/bin /usr/bin /bin /usr/sbin /sbin; do
    [ -d "$dir" ] || continue
    for f in "$dir"/*; do
        name=${f##*/}
        case $name in ssh | rsh | slogin | rlogin | remsh) continue ;; esac
        [ -e "nossh/$name" ] || ln -s "$f" "nossh/$name"
    done
done
rm -f out/*
PATH=$TAP_TMPDIR/nossh run_mpi 60 "$run" -n 3 ./fake-client
is "$RUN_STATUS:$(roles)" "0:scheduler client worker" "no ssh or rsh on PATH: the cluster still starts" \
    || diag_file "$RUN_ERR"

# ---- usage ----------------------------------------------------------------------------
like "$("$run" --help 2>&1)" "Usage: dask-mpi-run *--local-directory*" "--help shows the usage"
like "$("$run" --version)" "dask-mpi-run (dask-mpi) [0-9]*" "--version shows the version"
"$run" --bogus ./fake-client >/dev/null 2>&1
is $? 2 "an unknown option: exit 2"
"$run" --log-level loud ./fake-client >/dev/null 2>&1
is $? 2 "a bad --log-level: exit 2"
"$run" -n 4 >/dev/null 2>&1
is $? 2 "no CLIENT: exit 2"
for bad in 8787 'host:port' ':65536' ':'; do
    "$run" --dashboard-address "$bad" ./fake-client >/dev/null 2>&1
    is $? 2 "--dashboard-address '$bad': exit 2"
done
