#!/usr/bin/env bash
# What the Python bindings cost (issue 18): the demo MLP trained through the Network API from C++ and from Python
# on the same float32 rows, alternating, PAIRS times (default 5; the order swaps each pair). Prints each pair and
# the median ratio Python / C++.
#   usage: bench/python_bindings.sh BUILD_DIR [PAIRS]
set -euo pipefail
build=$1
pairs=${2:-5}
here=$(cd "$(dirname "$0")" && pwd)
ratios=()
for ((i = 0; i < pairs; i++)); do
  if ((i % 2 == 0)); then
    cpp=$("$build/bench/embed_throughput"); py=$(PYTHONPATH="$build/python" /usr/bin/python3 "$here/embed_throughput.py")
  else
    py=$(PYTHONPATH="$build/python" /usr/bin/python3 "$here/embed_throughput.py"); cpp=$("$build/bench/embed_throughput")
  fi
  ratio=$(/usr/bin/python3 -c "print(f'{$py / $cpp:.3f}')")
  echo "pair $((i + 1)): C++ $cpp samples/s, Python $py samples/s, ratio $ratio"
  ratios+=("$ratio")
done
/usr/bin/python3 -c "import statistics, sys; print('median ratio Python / C++:', statistics.median(map(float, sys.argv[1:])))" "${ratios[@]}"
