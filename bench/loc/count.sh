#!/usr/bin/env bash
# Lines of code of the demo (train the Fashion-MNIST MLP, evaluate, save, load, predict) in nnplug's C++ and Python
# APIs and in libtorch, PyTorch and Keras (issue 18): lines that hold code, without blank lines, comments and the
# docstrings that head the files. The others read the gzipped IDX files themselves (4 lines in Python, 16 with
# libtorch); nnplug has read_idx.
#   usage: bench/loc/count.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
count() {  # FILE: lines of code
  /usr/bin/python3 - "$1" <<'PY'
import io, sys, tokenize
path = sys.argv[1]
text = open(path).read()
if path.endswith(".py"):
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
    lines, first = set(), True
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type in skip:
            continue
        if first and tok.type == tokenize.STRING:  # the module's docstring
            first = False
            continue
        first = False
        lines.update(range(tok.start[0], tok.end[0] + 1))
    print(len(lines))
else:
    print(sum(1 for line in text.splitlines() if line.strip() and not line.strip().startswith("//")))
PY
}
printf '%-32s %s\n' "demo" "lines of code"
for file in examples/embed/demo.cpp bench/loc/demo_libtorch.cpp examples/embed/demo.py bench/loc/demo_pytorch.py bench/loc/demo_keras.py; do
  printf '%-32s %s\n' "$file" "$(count "$root/$file")"
done
