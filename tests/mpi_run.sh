#!/usr/bin/env bash
# Runs a command on NP ranks with mpirun, or skips (exit 77, CTest's SKIP_RETURN_CODE) saying why it cannot.
# Usage: mpi_run.sh NP PLUGIN_DIR COMMAND [ARGS...]
set -uo pipefail
np=$1 plugin_dir=$2
shift 2
if ! command -v mpirun > /dev/null; then
  echo "skipped: mpirun not found (install openmpi-bin and libopenmpi-dev: scripts/install-deps.sh)"
  exit 77
fi
if [ ! -e "$plugin_dir/nnplug_communicator_mpi.so" ]; then
  echo "skipped: the mpi communicator plugin was not built (CMake found no MPI when it configured)"
  exit 77
fi
# One thread per rank; every rank's output is kept; a job still running after 240 s is ended by mpirun itself.
exec mpirun -np "$np" --oversubscribe --allow-run-as-root --timeout 240 -x OMP_NUM_THREADS=1 "$@"
