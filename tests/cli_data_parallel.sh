#!/usr/bin/env bash
# `mpirun -np 2 nnplug train` end to end, and what goes wrong with several ranks: a rank that is killed, throws or
# stops, ranks started differently, the wrong communicator. Each case must end every rank with a non-zero exit and
# one message that names the rank and the cause, within seconds; a checkpoint written before stays valid.
# Skips (77) where MPI or the mpi plugin is missing.
set -u
nnplug=$1 plugin_dir=$2
here=$(cd "$(dirname "$0")" && pwd)
"$here/mpi_run.sh" 1 "$plugin_dir" true > /dev/null || exit $?
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$here/cli_checks.sh"
mpi() { mpirun --oversubscribe --allow-run-as-root --timeout 120 -x OMP_NUM_THREADS=1 "$@"; }

# Small and float64: both ranks' weights must be one process'.
cat > "$work/small.json" <<'JSON'
{"seed": 3, "dtype": "float64",
 "data": {"format": "gaussian_blobs", "samples": 300, "features": 8, "centers": 3, "validation_split": 0.2, "test_split": 0.2},
 "layers": [{"type": "dense", "units": 16, "activation": "relu"}, {"type": "dropout", "rate": 0.2}, {"type": "dense", "units": 3}],
 "loss": "softmax_cross_entropy", "optimizer": {"type": "adam", "lr": 0.01},
 "training": {"epochs": 3, "batch_size": 25}}
JSON
# Long enough to be interrupted, with a checkpoint after every epoch.
cat > "$work/long.json" <<JSON
{"seed": 3, "data": {"format": "gaussian_blobs", "samples": 20000, "features": 64, "centers": 4},
 "layers": [{"type": "dense", "units": 256, "activation": "relu"}, {"type": "dense", "units": 4}],
 "loss": "softmax_cross_entropy", "optimizer": {"type": "sgd", "lr": 0.01},
 "training": {"epochs": 10000, "batch_size": 64},
 "callbacks": [{"type": "checkpoint", "path": "$work/long.ckpt.safetensors"}]}
JSON

out=$(mpi -np 2 "$nnplug" train "$work/small.json" --no-progress --save "$work/two.safetensors" 2>&1)
rc=$?
expect_exit "2 ranks train" 0 $rc
check "the banner says the batch is global" "data-parallel: 2 ranks over mpi (Open MPI" "$out"
check "the banner gives the share" "batch_size 25 is the global batch, about 12 samples per rank" "$out"
[ "$(grep -c "^epoch 3/3" <<< "$out")" = 1 ] && echo "ok: rank 0 alone prints" || { echo "FAIL: epoch lines: $out"; failures=$((failures + 1)); }
"$nnplug" train "$work/small.json" --no-progress --save "$work/one.safetensors" > "$work/one.log" 2>&1
two=$(grep "^test:" <<< "$out")
one=$(grep "^test:" "$work/one.log")
check "2 ranks score as 1 process" "$one" "$two"
ev_one=$("$nnplug" evaluate "$work/one.safetensors" 2>&1 | grep -i "loss")
ev_two=$("$nnplug" evaluate "$work/two.safetensors" 2>&1 | grep -i "loss")
check "the model rank 0 saved is the one process'" "$ev_one" "$ev_two"

# Gradients sent as bfloat16: said in the banner, and the run trains.
out=$(mpi -np 2 "$nnplug" train "$work/small.json" --no-progress --set 'training.gradient_compression="bfloat16"' 2>&1)
expect_exit "2 ranks train with bfloat16 gradients" 0 $?
check "the banner says how gradients travel" "about 12 samples per rank; gradients sent as bfloat16" "$out"

# A graph: a node read twice, a residual sum and a concatenation with the input; the gradients summed over a
# node's readers are then averaged over the ranks.
cat > "$work/graph.json" <<'JSON'
{"seed": 3, "dtype": "float64",
 "data": {"format": "gaussian_blobs", "samples": 300, "features": 8, "centers": 3, "test_split": 0.2},
 "layers": [{"name": "h", "type": "dense", "units": 8, "activation": "tanh"}, {"name": "f", "type": "dense", "units": 8, "activation": "relu"},
            {"name": "sum", "type": "add", "inputs": ["f", "h"]}, {"type": "concat", "inputs": ["sum", "input"]}, {"type": "dense", "units": 3}],
 "loss": "softmax_cross_entropy", "optimizer": {"type": "adam", "lr": 0.01}, "training": {"epochs": 2, "batch_size": 25}}
JSON
two=$(mpi -np 2 "$nnplug" train "$work/graph.json" --no-progress 2>&1 | grep "^test:")
one=$("$nnplug" train "$work/graph.json" --no-progress 2>&1 | grep "^test:")
[ -n "$one" ] && check "a graph trains on 2 ranks as in 1 process" "$one" "$two" || { echo "FAIL: no test line for the graph"; failures=$((failures + 1)); }

out=$(mpi -np 1 "$nnplug" train "$work/small.json" --no-progress : -np 1 "$nnplug" train "$work/small.json" --no-progress --set optimizer.lr=0.5 2>&1)
expect_exit "ranks with different specs" nonzero $?
check "ranks with different specs are refused" "the spec and the training options (--set, --epochs, --batch-size, ...): rank 1 does not match rank 0" "$out"
out=$(mpi -np 1 "$nnplug" train "$work/small.json" --no-progress : -np 1 "$nnplug" train "$work/small.json" --no-progress --epochs 2 2>&1)
check "ranks with different epochs are refused" "rank 1 does not match rank 0; start every rank with the same spec and options" "$out"

out=$(mpi -np 2 "$nnplug" train "$work/small.json" --communicator local 2>&1)
expect_exit "local under mpirun" nonzero $?
check "local under mpirun" "this process is one of several ranks (OMPI_COMM_WORLD_SIZE=2), but communicator 'local' trains alone" "$out"

out=$("$nnplug" train "$work/small.json" --communicator mpi 2>&1)
expect_exit "mpi without mpirun" nonzero $?
check "mpi without mpirun says why" "unusable communicator 'mpi'" "$out"
check "mpi without mpirun says why" "probe says unusable here: not launched by mpirun" "$out"

out=$("$nnplug" train "$work/small.json" --communicator nccl9 2>&1)
expect_exit "unknown communicator" nonzero $?
check "unknown communicator lists the known" "unknown communicator 'nccl9'; available: local" "$out"

# A rank that throws (its checkpoint cannot be read) ends the other, which waits in the first broadcast.
start=$SECONDS
out=$(mpi -np 1 "$nnplug" train "$work/small.json" --no-progress : -np 1 "$nnplug" train "$work/small.json" --no-progress --resume "$work/missing.safetensors" 2>&1)
expect_exit "a rank that throws" nonzero $?
check "a rank that throws is named" "stopping all 2 ranks: rank 1 of 2: error: " "$out"
check "with its cause" "missing.safetensors" "$out"
[ $((SECONDS - start)) -lt 60 ] || { echo "FAIL: a rank that throws took $((SECONDS - start)) s to end the run"; failures=$((failures + 1)); }

# A rank killed mid-training (after its checkpoint of epoch 1) ends the other within seconds.
start=$SECONDS
out=$(mpi -np 1 "$nnplug" train "$work/long.json" --no-progress : -np 1 timeout -s KILL 6 "$nnplug" train "$work/long.json" --no-progress 2>&1)
expect_exit "a killed rank" nonzero $?
check "a killed rank is named" "rank 1" "$out"
[ $((SECONDS - start)) -lt 60 ] || { echo "FAIL: a killed rank took $((SECONDS - start)) s to end the run"; failures=$((failures + 1)); }
out=$("$nnplug" train "$work/long.json" --no-progress --resume "$work/long.ckpt.safetensors" --epochs 1 2>&1)
rc=$?
if [ -e "$work/long.ckpt.safetensors" ]; then
  check "the last checkpoint still resumes" "resumed from $work/long.ckpt.safetensors after epoch" "$out"
  done_epochs=$(sed -n 's/^resumed from .* after epoch \([0-9]*\)$/\1/p' <<< "$out")
  next=$((done_epochs + 1))
  out=$(mpi -np 2 "$nnplug" train "$work/long.json" --no-progress --resume "$work/long.ckpt.safetensors" --epochs "$next" 2>&1)
  check "2 ranks go on from it" "epoch $next/$next  loss" "$out"
else
  echo "FAIL: no checkpoint was written before the kill"; failures=$((failures + 1))
fi

# A rank that stops answering (SIGSTOP: as a host whose network dropped) is noticed after the communicator's
# timeout, and every rank ends.
cat > "$work/stop_after.sh" <<'SH'
#!/usr/bin/env bash
"$@" & child=$!
sleep 4
kill -STOP "$child"
wait "$child"
SH
chmod +x "$work/stop_after.sh"
start=$SECONDS
out=$(mpi -np 1 "$nnplug" train "$work/long.json" --no-progress --communicator '{"type": "mpi", "timeout": 3}' \
  : -np 1 "$work/stop_after.sh" "$nnplug" train "$work/long.json" --no-progress --communicator '{"type": "mpi", "timeout": 3}' 2>&1)
expect_exit "a rank that stops" nonzero $?
check "a rank that stops: the other times out" "rank 0: " "$out"
check "and says how long it waited" "did not finish within 3.000 s" "$out"
[ $((SECONDS - start)) -lt 60 ] || { echo "FAIL: a stopped rank took $((SECONDS - start)) s to end the run"; failures=$((failures + 1)); }

finish
