# Sourced by the benchmarks that run PyTorch: torch_malloc is Debian's tcmalloc (libtcmalloc-minimal4) where it is
# installed, for LD_PRELOAD. PyTorch allocates its tensors anew at every step; glibc's malloc hands large blocks back
# to the kernel and takes them again page by page, and where page faults are dear (a virtual machine) that cost
# PyTorch up to 3.5x of its speed on the development machine. PyTorch's CPU performance guide preloads tcmalloc or
# jemalloc; tcmalloc was the faster of the two there. nnplug keeps its buffers from one step to the next.
torch_malloc=
if [ -e /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 ]; then
  torch_malloc=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4
else
  echo "PyTorch runs on glibc's malloc, which may understate its speed: apt-get install libtcmalloc-minimal4" >&2
fi
