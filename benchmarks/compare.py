"""Side-by-side timings of keras-style and the PyTorch peer, in one invocation.

Runs `benchmarks/run.py` under each requested Keras backend and the peer
(`../shared/bench/peer_torch.py`) with the same arguments, interleaved and
repeated, then prints the median seconds of each and their ratio (ours /
peer; below 1 is faster than the peer) as JSON lines and a Markdown table.

    python benchmarks/compare.py gatys --size 256 --optimizer lbfgs --iterations 5
    python benchmarks/compare.py train --batch 2 --size 128 --iterations 5
    python benchmarks/compare.py infer --height 512 --width 512 --iterations 5
"""

import argparse
import datetime
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
DEFAULT_PEER = HERE.parent.parent / "shared" / "bench" / "peer_torch.py"
# The field holding seconds per unit of work, per task.
SECONDS_FIELD = {
    "gatys_step": "s_per_it",
    "johnson_train_step": "s_per_it",
    "johnson_infer": "s_per_img",
}


def run_once(cmd, env):
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stderr[-3000:]}")
    rows = [
        json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")
    ]
    return [r for r in rows if r.get("task") in SECONDS_FIELD]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task", choices=["train", "infer", "gatys"])
    parser.add_argument("--backends", default="tensorflow,jax,torch")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--peer", default=str(DEFAULT_PEER))
    parser.add_argument(
        "--threads", type=int, default=None, help="OMP/TF threads for both sides"
    )
    args, passthrough = parser.parse_known_args(argv)
    if not pathlib.Path(args.peer).is_file():
        parser.error(f"peer script not found. Received: --peer={args.peer}")

    base_env = dict(os.environ)
    if args.threads:
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTRAOP_THREADS"):
            base_env[var] = str(args.threads)
    sides = {"peer": ([sys.executable, args.peer, args.task, *passthrough], base_env)}
    for backend in args.backends.split(","):
        env = dict(base_env, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
        sides[backend] = (
            [sys.executable, str(HERE / "run.py"), args.task, *passthrough],
            env,
        )

    times = {}  # (side, task) -> [seconds]
    for _ in range(args.repeats):
        for side, (cmd, env) in sides.items():
            for row in run_once(cmd, env):
                times.setdefault((side, row["task"]), []).append(
                    row[SECONDS_FIELD[row["task"]]]
                )

    date = datetime.date.today().isoformat()
    machine = f"{platform.machine()} CPU, {os.cpu_count()} cores"
    table = [
        "| date | machine | backend | figure | median s | peer median s | ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for (side, task), values in sorted(times.items()):
        if side == "peer":
            continue
        peer = statistics.median(times[("peer", task)])
        ours = statistics.median(values)
        record = dict(
            task=task,
            backend=side,
            args=" ".join(passthrough),
            median_s=ours,
            peer_median_s=peer,
            ratio=ours / peer,
            repeats=len(values),
            date=date,
            machine=machine,
        )
        print(json.dumps(record), flush=True)
        table.append(
            f"| {date} | {machine} | {side} | {task} {' '.join(passthrough)} | {ours:.3f} | {peer:.3f} | {ours / peer:.2f}x |"
        )
    print("\n".join(table))


if __name__ == "__main__":
    main()
