"""The scaling model of data-parallel training: what efficiency N nodes would reach, from what one run measured.

Inputs (written by bench/data_parallel.sh into its results folder):
  x10_2_shm.json   2 ranks of the X10 MLP: one rank's forward seconds at its batch share, and per layer: its
                   backward seconds, how far into them its gradients were written (a dense layer writes them before
                   its input gradient), their bytes and their update's seconds; all-reduce times of 4 KiB .. 64 MiB
                   (the fit below)
  x10_2_netns.json the same over TCP between two network namespaces (when the machine allows them)
  x10_2_shm_bf16.json  the same with gradients sent as bfloat16 (training.gradient_compression): with the plain
                   sweep, it gives the cost of the two conversion passes
  cnn_1.json       the chapter's CNN (X11), one rank at batch 128: per-layer backward seconds and gradient bytes
Model, per step of one node at a fixed batch per node (weak scaling, as Horovod's 88 % at 128 GPUs):
  all-reduce of S bytes over n nodes:  T(n, S) = 2 ceil(log2 n) alpha + 2 (n - 1) / n * S / beta
  (recursive halving and doubling; a ring's latency term, 2 (n - 1) alpha, is no better)
  buckets of gradients in backward order (as the trainer makes them, cap B), each sent once backward has written
  it, one at a time; with overlap, each bucket's parameters are updated once backward is done and the bucket is
  reduced (as the trainer does), so the step is forward + the end of the last bucket's update; without it,
  forward + backward + sum of the all-reduces + update; efficiency = compute / step.
alpha and beta for 10 and 25 GbE: the link's rate, 50 us per hop plus the software latency fitted on this machine.
Gradients sent as bfloat16 cross the link in half the bytes, and each rank converts S bytes of float32 at the
rate gamma measured here: T = 2 ceil(log2 n) alpha + 2 (n - 1) / n * (S / 2) / beta + S / gamma.
Prints the fits, the model's check against the measured 2-rank step, and a Markdown table; draws the plot.
usage: /usr/bin/python3 bench/scaling_model.py RESULTS_DIR [PLOT.png]
"""
import json
import math
import os
import sys

LINKS = {"10 GbE": 10e9 / 8, "25 GbE": 25e9 / 8}
HOP_LATENCY = 50e-6
NODES = [2, 8, 32, 128]
BUCKET_CAPS_MB = [1, 2, 4, 8, 16, 25]


def fit_alpha_beta(sweep):
    """t = a + S / b over the sweep (2 ranks: a = 2 alpha, b = beta): a is the smallest message's time, b the
    slope between the two largest (a least-squares line would let the large sizes' noise swamp the latency). Only
    sizes up to the largest bucket count: the model sends nothing larger, and on the development VM a 64 MB
    all-reduce once took 70x the time of a 16 MB one (most likely page faults: above glibc's largest mmap threshold,
    32 MB, a buffer is mapped anew at each call)."""
    sweep = sorted(p for p in sweep if p[0] <= max(BUCKET_CAPS_MB) << 20)
    (s1, t1), (s2, t2) = sweep[-2], sweep[-1]
    return sweep[0][1], (s2 - s1) / (t2 - t1)


def all_reduce(n, size, alpha, beta, gamma=None):
    """The faster of a ring and of recursive halving and doubling (Rabenseifner), as MPI libraries choose; with
    gamma (bytes of float32 converted per second), the values travel as bfloat16."""
    wire = size / 2 if gamma else size
    bandwidth = 2 * (n - 1) / n * wire / beta
    return min(2 * (n - 1) * alpha, 2 * math.ceil(math.log2(n)) * alpha) + bandwidth + (size / gamma if gamma else 0.0)


def buckets(layers, cap):
    """(ready time, bytes, update seconds) of each bucket, from the layers' backward_layers records (last layer
    first): a bucket is ready once its last layer has written its gradients."""
    out, clock, size, update, ready = [], 0.0, 0, 0.0, 0.0
    for layer in layers:
        grad = layer["grad_bytes"]
        if size > 0 and size + grad > cap:
            out.append([ready, size, update])
            size, update = 0, 0.0
        if grad > 0:
            ready = clock + layer["grads_written_s"]
        clock += layer["backward_s"]
        size += grad
        update += layer["update_s"]
    if size > 0:
        out.append([ready, size, update])
    return out


def step(timing, n, alpha, beta, cap, overlap, gamma=None):
    layers = timing["backward_layers"]
    backward = sum(l["backward_s"] for l in layers)
    update = sum(l["update_s"] for l in layers)
    compute = timing["forward_s"] + backward + update
    if n == 1:
        return compute, compute
    sent = 0.0  # when the link is free again
    total = 0.0
    done = backward  # when the core has updated the buckets so far
    for ready, size, seconds in buckets(layers, cap):
        t = all_reduce(n, size, alpha, beta, gamma)
        sent = max(ready, sent) + t
        total += t
        done = max(done, sent) + seconds
    return compute, timing["forward_s"] + (done if overlap else backward + total + update)


def efficiency(timing, n, alpha, beta, overlap, gamma=None):
    """The best over the bucket caps with overlap (and the cap), the single bucket without."""
    if not overlap:
        compute, total = step(timing, n, alpha, beta, 1 << 40, False, gamma)
        return compute / total, None
    (compute, total), mb = min(((step(timing, n, alpha, beta, mb << 20, True, gamma), mb) for mb in BUCKET_CAPS_MB),
                               key=lambda r: r[0][1])
    return compute / total, mb


def main():
    folder = sys.argv[1]
    plot = sys.argv[2] if len(sys.argv) > 2 else None
    load = lambda name: json.load(open(os.path.join(folder, name))) if os.path.exists(os.path.join(folder, name)) else None
    shm, netns, cnn = load("x10_2_shm.json"), load("x10_2_netns.json"), load("cnn_1.json")
    shm_bf16 = load("x10_2_shm_bf16.json")
    a_shm, b_shm = fit_alpha_beta(shm["allreduce_sweep"])
    print(f"all-reduce fit, 2 ranks, shared memory: latency {a_shm * 1e6:.1f} us + bytes / {b_shm / 1e9:.2f} GB/s")
    gamma = None
    if shm_bf16:
        # The compressed sweep's time per byte is half the plain one's (the bytes sent) plus the conversions'.
        _, b_bf16 = fit_alpha_beta(shm_bf16["allreduce_sweep"])
        gamma = 1 / max(1e-15, 1 / b_bf16 - 0.5 / b_shm)
        print(f"bfloat16 gradients: float32 bytes / {b_bf16 / 1e9:.2f} GB/s over shared memory; conversions {gamma / 1e9:.2f} GB/s")
    software = a_shm / 2
    if netns:
        a_tcp, b_tcp = fit_alpha_beta(netns["allreduce_sweep"])
        software = a_tcp / 2
        print(f"all-reduce fit, 2 ranks, TCP between namespaces: latency {a_tcp * 1e6:.1f} us + bytes / {b_tcp / 1e9:.2f} GB/s")
    # The check: the model's 2-rank step over shared memory against the one measured.
    compute, modelled = step(shm["one_rank"], 2, a_shm / 2, b_shm, shm.get("bucket_bytes", 25 << 20), True)
    print(f"check, X10 MLP on 2 ranks over shared memory: modelled step {modelled * 1e3:.1f} ms "
          f"(compute {compute * 1e3:.1f} ms), measured {shm['step_s'] * 1e3:.1f} ms")

    models = {"X10 MLP": shm["one_rank"]}
    # Twice the batch per node, the spec's global batch on every node: forward and backward times doubled (GEMMs
    # grow with the batch), the gradients and the update as they are.
    big = json.loads(json.dumps(shm["one_rank"]))
    big["samples"] *= 2
    big["forward_s"] *= 2
    for layer in big["backward_layers"]:
        layer["backward_s"] *= 2
        layer["grads_written_s"] *= 2
    models["X10 MLP, 2x batch"] = big
    if cnn:
        models["X11 CNN"] = cnn["one_rank"]
    # (model, timing, gamma): the X10 MLP once more with gradients sent as bfloat16, where that was measured.
    variants = [(name, timing, None) for name, timing in models.items()]
    if gamma:
        variants.insert(1, ("X10 MLP, bfloat16 gradients", shm["one_rank"], gamma))
    rows = []
    print("\n| model (batch per node) | link | overlap | " + " | ".join(f"{n} nodes" for n in NODES) + " |")
    print("|---|---|---|" + "---|" * len(NODES))
    for name, timing, g in variants:
        for link, beta in LINKS.items():
            for overlap in (True, False):
                cells, series = [], []
                for n in NODES:
                    e, mb = efficiency(timing, n, HOP_LATENCY + software, beta, overlap, g)
                    series.append(e)
                    cells.append(f"{100 * e:.0f} %" + (f" ({mb} MB)" if mb else ""))
                rows.append((name, link, overlap, series))
                print(f"| {name} ({timing['samples']}) | {link} | {'yes' if overlap else 'no'} | " + " | ".join(cells) + " |")
    try:
        import matplotlib
    except ImportError:
        print("\nno plot: matplotlib is not installed (apt-get install python3-matplotlib)")
        plot = None
    if plot:
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(8, 5))
        colours = {}
        for name, link, overlap, series in rows:
            colour = colours.setdefault((name, link), f"C{len(colours)}")
            ax.plot(NODES, [100 * e for e in series], marker="o", color=colour, linestyle="-" if overlap else "--",
                    label=f"{name}, {link}, {'overlap' if overlap else 'no overlap'}")
        ax.scatter([128], [88], marker="*", s=200, color="black", zorder=5, label="Horovod, 128 GPUs, 25 GbE TCP (reported)")
        if "efficiency_2" in shm:
            ax.scatter([2], [100 * shm["efficiency_2"]], marker="D", s=60, color="red", zorder=5,
                       label="nnplug X10 MLP, measured, 2 ranks on 2 cores")
        ax.set_xscale("log", base=2)
        ax.set_xticks(NODES, [str(n) for n in NODES])
        ax.set_ylim(0, 105)
        ax.set_xlabel("nodes")
        ax.set_ylabel("scaling efficiency (%)")
        ax.set_title("nnplug data-parallel: modelled weak-scaling efficiency")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, loc="lower left")
        fig.tight_layout()
        fig.savefig(plot, dpi=110)
        print(f"\nwrote {plot}")


if __name__ == "__main__":
    main()
