"""PyTorch DistributedDataParallel on the Gloo backend: the peer of bench/data_parallel.sh.

Same model, optimizer and global batch as data_parallel_bench: the X10 MLP (784-2048-1024-1024-10 ReLU, Adam), or
the demo MLP (784-256-128-10), on seeded random samples; `ranks` processes of one thread each on this host, each
taking global_batch / ranks samples of every step; DDP's default 25 MB buckets, overlapped with backward. Like
nnplug, every step reads the loss and the correct count, summed over the ranks (one small all_reduce).
Run with Debian's interpreter: /usr/bin/python3 bench/torch_ddp.py x10|mlp RANKS [global_batch] [steps]
Prints "RESULT ranks samples_per_s" (the best of 3 timed epochs, after one warm-up epoch).
One rank of a run whose ranks are started elsewhere (in the network namespaces of scripts/netns_cluster.sh):
  /usr/bin/python3 bench/torch_ddp.py x10|mlp RANKS global_batch steps --rank R --master ADDR:PORT
"""
import os
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

LAYERS = {"x10": [784, 2048, 1024, 1024, 10], "mlp": [784, 256, 128, 10]}


def model_of(kind):
    sizes, layers = LAYERS[kind], []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i + 2 < len(sizes):
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def run(rank, kind, ranks, global_batch, steps, master, results):
    torch.set_num_threads(1)
    distributed = ranks > 1
    if distributed:
        dist.init_process_group("gloo", init_method=f"tcp://{master}", rank=rank, world_size=ranks)
    torch.manual_seed(0)
    model = model_of(kind)
    if distributed:
        model = torch.nn.parallel.DistributedDataParallel(model)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    loss_fn = torch.nn.CrossEntropyLoss()
    n = steps * global_batch
    x, y = torch.randn(n, LAYERS[kind][0]), torch.randint(0, 10, (n,))
    share = global_batch // ranks

    def epoch():
        start = time.perf_counter()
        for s in range(steps):
            begin = s * global_batch + rank * share
            xb, yb = x[begin:begin + share], y[begin:begin + share]
            opt.zero_grad()
            out = model(xb)
            loss = loss_fn(out, yb)
            loss.backward()
            opt.step()
            scores = torch.tensor([loss.item() * share, float((out.argmax(1) == yb).sum())])
            if distributed:
                dist.all_reduce(scores)
        return time.perf_counter() - start

    epoch()
    best = min(epoch() for _ in range(3))
    if rank == 0 and results is not None:
        results.put(n / best)
    elif rank == 0:
        report(kind, ranks, global_batch, n / best)
    if distributed:
        dist.destroy_process_group()


def report(kind, ranks, global_batch, rate):
    print(f"pytorch {torch.__version__} DDP gloo, {kind}, {ranks} rank(s) of 1 thread, global batch {global_batch}: {rate:.0f} samples/s")
    print(f"RESULT {ranks} {rate:.1f}", flush=True)


def main():
    kind, ranks = sys.argv[1], int(sys.argv[2])
    global_batch = int(sys.argv[3]) if len(sys.argv) > 3 else 256
    steps = int(sys.argv[4]) if len(sys.argv) > 4 else 60
    if "--rank" in sys.argv:
        rank, master = int(sys.argv[sys.argv.index("--rank") + 1]), sys.argv[sys.argv.index("--master") + 1]
        run(rank, kind, ranks, global_batch, steps, master, None)
        return
    master = f"127.0.0.1:{29500 + os.getpid() % 1000}"
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    procs = [ctx.Process(target=run, args=(r, kind, ranks, global_batch, steps, master, results)) for r in range(ranks)]
    for p in procs:
        p.start()
    rate = results.get(timeout=600)
    for p in procs:
        p.join()
    report(kind, ranks, global_batch, rate)


if __name__ == "__main__":
    main()
