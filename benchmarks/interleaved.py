"""Gatys step times of keras-style and the PyTorch peer, alternating step by step.

On a shared machine the speed drifts by 10-20% over minutes, which separate
runs (`compare.py`) see as noise. Here both run in one process: after every
keras-style iteration (through the public `GatysStyleTransfer.run`, L-BFGS or
Adam), one step of the peer's own step function (taken from
`../shared/bench/peer_torch.py`, same VGG19 taps, loss and optimizer) is
timed, so both see the same machine state, with an untimed pause (`--gap`)
between the two so neither starts while the other's idle threads still spin.
(`OMP_WAIT_POLICY=PASSIVE` would avoid that too, but measured 5-10% slower
for the peer, which flattered the ratio.) Prints one JSON line with the
medians and their ratio (ours / peer; below 1 is faster).

    KERAS_BACKEND=tensorflow python benchmarks/interleaved.py --size 256 \
        --optimizer lbfgs --iterations 20
"""

import argparse
import importlib.util
import json
import os
import pathlib
import platform
import statistics
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
DEFAULT_PEER = HERE.parent.parent / "shared" / "bench" / "peer_torch.py"


def peer_step(peer_path, optimizer, size):
    """The peer's Gatys `step` closure, captured instead of timed."""
    spec = importlib.util.spec_from_file_location("peer_torch", peer_path)
    peer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(peer)
    captured = []
    peer.timeit = lambda fn, n: captured.append(fn) or 1.0
    peer.report = lambda **_: None
    peer.gatys(f"{optimizer}_fp32", size=size)
    return captured[0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--optimizer", choices=["lbfgs", "adam"], default="lbfgs")
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--peer", default=str(DEFAULT_PEER))
    parser.add_argument(
        "--gap",
        type=float,
        default=0.2,
        help="idle seconds between the two timed steps (see below)",
    )
    args = parser.parse_args(argv)
    if not pathlib.Path(args.peer).is_file():
        parser.error(f"peer script not found. Received: --peer={args.peer}")

    from run import peer_gatys_problem  # benchmarks/run.py

    step = peer_step(args.peer, args.optimizer, args.size)
    gatys, content, style = peer_gatys_problem(args.size)
    ours, peer = [], []
    last = [None]

    def callback(*_):
        # Our iteration ended now; time the peer's step, then restart our clock.
        now = time.perf_counter()
        if last[0] is not None:
            ours.append(now - last[0])
        # Idle worker threads of either library spin for a while after a
        # step, on the cores the other one needs next (torch's OpenMP pool:
        # +55 ms on our next step); an untimed pause lets them go to sleep.
        time.sleep(args.gap)
        start = time.perf_counter()
        step()
        peer.append(time.perf_counter() - start)
        time.sleep(args.gap)
        last[0] = time.perf_counter()

    result = gatys.run(
        content,
        style,
        size=args.size,
        iterations=args.warmup + args.iterations,
        optimizer=args.optimizer,
        verbose=0,
        callback=callback,
    )
    ours, peer = ours[args.warmup - 1 :], peer[args.warmup :]
    evals = result.evaluations
    record = dict(
        task="gatys_step_interleaved",
        backend=os.environ.get("KERAS_BACKEND", "tensorflow"),
        optimizer=args.optimizer,
        size=args.size,
        steps=len(ours),
        median_s=statistics.median(ours),
        peer_median_s=statistics.median(peer),
        ratio=statistics.median(ours) / statistics.median(peer),
        evals_per_it=(evals[-1] - evals[args.warmup - 1]) / args.iterations,
        machine=f"{platform.machine()} CPU, {os.cpu_count()} cores",
    )
    print(json.dumps(record), flush=True)


if __name__ == "__main__":
    sys.exit(main())
