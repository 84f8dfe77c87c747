#!/usr/bin/env bash
# nnplug plugins --explain: the search path in order, then a verdict and its reason for every file: loaded,
# rejected (ABI, crashing probe, truncated file), unusable (probe) and shadowed (which library won).
#   usage: cli_plugins_explain.sh NNPLUG BROKEN_PLUGIN_DIR
set -u
nnplug=$1 broken=$2
out=$(NNPLUG_PLUGIN_PATH=/nonexistent/env-dir "$nnplug" --plugin-path "$broken" plugins --explain 2>&1)
rc=$?
failures=0
expect() {  # expect "description" "regular expression matched against the whole output"
  if grep -Pzq -- "$2" <<<"$out"; then echo "ok: $1"; else echo "FAIL: $1"; failures=$((failures + 1)); fi
}
[ "$rc" -eq 0 ] || { echo "FAIL: exit status $rc"; failures=$((failures + 1)); }
expect "search path in order" "search path, in order:\n  \Q$broken\E\n  /nonexistent/env-dir   \(does not exist\)\n  \S+/lib/nnplug/plugins\n"
expect "loaded" "  loaded    \Q$broken\E/test_plugin_good.so\n"
expect "rejected for ABI" "  rejected  \Q$broken\E/test_plugin_wrong_abi.so\n +ABI mismatch: plugin wrong_abi@1.0.0 was built for ABI version 999"
expect "crashing probe" "  rejected  \Q$broken\E/test_plugin_probe_crashes.so\n +probe failed: the probe crashed"
expect "truncated file" "  rejected  \Q$broken\E/test_plugin_truncated.so\n +not a loadable shared library: .* is truncated"
expect "probe says unusable" "  unusable  \Q$broken\E/test_plugin_probe_unusable.so\n +probe says unusable here: no such device on this machine"
expect "duplicate with the winner" "  rejected  \Q$broken\E/test_plugin_twin_b.so\n +duplicate name 'activation:twin': already provided by \Q$broken\E/test_plugin_twin_a.so"
# Entries that would hang or stop the host are verdicts too: a FIFO, a symlink loop; a plugin "folder" that is a FIFO.
hostile=$(mktemp -d)
trap 'rm -rf "$hostile"' EXIT
mkfifo "$hostile/pipe.so" "$hostile/folder"
ln -s loop_b.so "$hostile/loop_a.so"
ln -s loop_a.so "$hostile/loop_b.so"
out=$(timeout 60 "$nnplug" --plugin-path "$hostile" --plugin-path "$hostile/folder" plugins --explain 2>&1)
rc=$?
[ "$rc" -eq 0 ] || { echo "FAIL: hostile plugin folder: exit status $rc"; failures=$((failures + 1)); }
expect "a FIFO entry" "  rejected  \Q$hostile\E/pipe.so\n +not a loadable shared library: \Q$hostile\E/pipe.so: the plugin file is a FIFO \(named pipe\), not a regular file"
expect "a symlink loop" "  rejected  \Q$hostile\E/loop_a.so\n +not a loadable shared library: \Q$hostile\E/loop_a.so: the plugin file is a symlink loop"
expect "a FIFO as a folder" "warning: plugin directory \Q$hostile\E/folder is not a directory"
# Every command that loads plugins says so of a --plugin-path folder it cannot read, not only train and plugins.
printf '{"layers": [{"type": "dense", "units": 2}]}' > "$hostile/spec.json"
out=$("$nnplug" --plugin-path "$hostile/mistyped" summary "$hostile/spec.json" --input-shape 3 2>&1)
expect "summary names a missing plugin folder" "warning: plugin directory \Q$hostile\E/mistyped does not exist\n"
out=$(NNPLUG_PLUGIN_PATH=/nonexistent/env-dir "$nnplug" --plugin-path "$broken" plugins --explain 2>&1)
expect "shadowed with the winner" "  shadowed  \S+/nnplug_backend_cpu_generic.so\n +'backend:cpu' is provided by \S+nnplug_backend_cpu_avx\S+.so with higher priority"
echo "$failures failed"
[ "$failures" -eq 0 ]
