"""`stylize_dataset`: stylize a folder, a bucket or a Ray Dataset on a Ray
cluster, one stylizer per actor.

The driver lists the inputs, leaves out what an earlier run with the same
settings already wrote (see `manifest`), sorts the images by size so that
each batch fills whole network passes, and hands batches to a pool of
`StylizeWorker` actors; videos follow, one task per file. Ray retries the
batches of a worker that dies (an actor pool restarts its actors), and
outputs are written atomically, so a retried batch replaces whole files.
"""

import collections
import os
import posixpath
import sys

from keras_style.distributed import manifest
from keras_style.distributed.storage import Location
from keras_style.distributed.worker import (
    StyleSpec,
    StylizeWorker,
    kind_of,
    output_name,
    probe,
)
from keras_style.inference.options import check_options
from keras_style.presets.names import ARBITRARY
from keras_style.utils.checks import check_int

DatasetResult = collections.namedtuple(
    "DatasetResult", ["written", "skipped", "failed"]
)
DatasetResult.__doc__ = """The outcome of `stylize_dataset`.

`written`: output names written by this run; `skipped`: output names an
earlier run with the same settings had written; `failed`: `{input name:
reason}` of files that could not be read, stylized or written.
"""

# Files per probe task (the probe reads image headers only).
PROBE_BATCH = 256


def require_ray():
    """Imports Ray Data, or raises the one-line hint naming the extra."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise ImportError(
            'Distributed runs need Ray Data, from the ray extra: pip install "keras-style[ray]"'
        ) from None
    return ray


def stylize_dataset(
    source,
    output,
    style=None,
    *,
    style_image=None,
    style_weights=None,
    style_size=None,
    strength=1.0,
    preserve_colors=False,
    max_size=None,
    tile_size=None,
    tile_overlap=None,
    video_options=None,
    runtime="keras",
    dtype=None,
    cache_dir=None,
    revision=None,
    num_actors=None,
    batch_size=8,
    num_gpus=0,
    address=None,
    verbose=1,
):
    """Stylizes every image and video of `source` into `output` on Ray.

    The distributed counterpart of `Stylizer.stylize_folder`, with the same
    output names and results within one level of 0..255. A rerun with the
    same settings skips what is already written; broken files are reported,
    not fatal; a worker that dies is replaced and its batch redone.

    Args:
        source: a local folder, a URI that pyarrow opens (`s3://bucket/in`,
            `gs://...`, `file:///...`), or a `ray.data.Dataset` with `image`
            and `path` columns (`ray.data.read_images(..., include_paths=True)`;
            outputs are named by the paths, relative to their common folder).
            In a folder or URI, images and videos are found by their names.
        output: a local folder or URI for the results (mirrored sub-folders,
            the input names; `.mp4` appended to a video name FFmpeg cannot
            write). It must not be the source folder.
        style: a zoo name, `hf://owner/repo[@revision]` or a preset folder
            that every worker can read; `"magenta26:7"` or
            `"magenta26:3=0.5,12=0.5"` picks styles of a multi-style network.
            Leave out with `style_image` (the arbitrary-style network).
        style_image, style_weights, style_size: painting(s) for the
            arbitrary-style network (see `ArbitraryStylizer.embed`); read by
            the driver, so workers need not see them.
        strength, preserve_colors, max_size, tile_size, tile_overlap: see
            `Stylizer.stylize`.
        video_options: `Stylizer.stylize_video` options for videos, e.g.
            `dict(consistency="flow", end=10)`.
        runtime, dtype, cache_dir, revision: see `Stylizer` and `zoo.load`.
        num_actors: stylizers running at once (default: as many as the
            cluster's GPUs hold with `num_gpus`, e.g. two per GPU with 0.5;
            else one per two CPUs of the cluster).
        batch_size: images per actor call and per network pass (default 8;
            passes are still split to stay within `max_pass_pixels`).
        num_gpus: GPUs per actor (fractions share a GPU), 0 for CPU.
        address: the Ray cluster to join (`"auto"`, `"ray://host:10001"`);
            None or `"local"` starts a local one, shut down at the end
            (without usage statistics unless `RAY_USAGE_STATS_ENABLED` says
            otherwise). An already initialized Ray is used as it is.
        verbose: 1 shows Ray's progress and lists failed files on stderr;
            0 is silent.

    Returns:
        A `DatasetResult(written, skipped, failed)`.

    Example:

    >>> result = stylize_dataset("s3://bucket/photos", "s3://bucket/wave", "wave")
    >>> len(result.written), result.failed
    (1000000, {})
    """
    ray = require_ray()
    check_options(
        strength=strength,
        max_size=max_size,
        tile_size=tile_size,
        tile_overlap=tile_overlap,
        batch_size=batch_size,
    )
    if num_actors is not None:
        num_actors = check_int(num_actors, "num_actors", minimum=1)
    if not isinstance(num_gpus, (int, float)) or num_gpus < 0:
        raise ValueError(
            f"`num_gpus` must be a number >= 0. Received: num_gpus={num_gpus!r}"
        )
    spec = _spec(
        style,
        style_image,
        style_weights,
        style_size,
        runtime=runtime,
        dtype=dtype,
        cache_dir=cache_dir,
        revision=revision,
        options=dict(
            strength=strength,
            preserve_colors=preserve_colors,
            max_size=max_size,
            tile_size=tile_size,
            tile_overlap=tile_overlap,
            batch_size=batch_size,
        ),
        video_options=dict(video_options or {}),
    )
    preset_dir, _ = spec.fetch()
    spec.check(preset_dir)
    out = Location(output)
    settings = spec.settings(preset_dir)
    run_key = manifest.fingerprint(settings)

    started = not ray.is_initialized()
    if started:
        if address in (None, "local"):
            # A private cluster on this machine reports no usage statistics,
            # unless the user asked for it.
            os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        ray.init(
            address=None if address in (None, "local") else address,
            logging_level="INFO" if verbose else "WARNING",
            log_to_driver=verbose > 0,
        )
    try:
        ray.data.DataContext.get_current().enable_progress_bars = verbose > 0
        files, source_loc = _inputs(ray, source, out)
        done = manifest.done(out, run_key)
        todo, skipped = [], []
        for f in files:
            name = output_name(f["input"], f["kind"])
            if name in done:  # written before, with the same settings
                skipped.append(name)
            else:
                todo.append(f)
        manifest.start(out, run_key, settings)
        actors = num_actors or _default_actors(ray, num_gpus)
        worker_args = dict(spec=spec, source=source_loc, output=out, run_key=run_key)
        rows = []
        images = [f for f in todo if f["kind"] == "image"]
        videos = [f for f in todo if f["kind"] == "video"]
        for items, per_call in ((images, batch_size), (videos, 1)):
            if not items:
                continue
            ds = _dataset(ray, source, items, source_loc, per_call)
            ds = ds.map_batches(
                StylizeWorker,
                fn_constructor_kwargs=worker_args,
                batch_size=per_call,
                compute=ray.data.ActorPoolStrategy(size=min(actors, len(items))),
                num_gpus=num_gpus,
                # Ray caps each actor's threads (OMP_NUM_THREADS) at this.
                num_cpus=_cpus_per_actor(ray, actors, num_gpus),
            )
            rows.extend(ds.iter_rows())
    finally:
        out.sweep_partial()  # no worker writes any more
        if started:
            ray.shutdown()
    written = sorted(r["output"] for r in rows if r["status"] == "written")
    failed = {r["input"]: r["reason"] for r in rows if r["status"] != "written"}
    if verbose and failed:
        print(f"Failed {len(failed)} file(s):", file=sys.stderr)
        for name, reason in sorted(failed.items()):
            print(f"  {name}: {reason}", file=sys.stderr)
    return DatasetResult(written, sorted(skipped), failed)


def _spec(style, style_image, style_weights, style_size, **kwargs):
    """The `StyleSpec`, with the paintings read here (the driver's files)."""
    if style is None:
        if style_image is None:
            raise ValueError(
                "Pass a zoo style with `style=` or a painting with `style_image=`. "
                "Received: neither"
            )
        style = ARBITRARY
    if not isinstance(style, str):
        raise TypeError(
            "`style` must be a zoo name, an hf:// handle or a preset folder. "
            f"Received: style={style!r}"
        )
    paintings = None
    if style_image is not None:
        from keras_style.image import load_image_with_alpha, to_uint8

        many = isinstance(style_image, (list, tuple))
        images = list(style_image) if many else [style_image]
        paintings = [
            to_uint8(load_image_with_alpha(img, name="style_image")[0])
            for img in images
        ]
    return StyleSpec(
        style=style,
        style_images=paintings,
        style_weights=None if style_weights is None else list(style_weights),
        style_size=style_size,
        **kwargs,
    )


def _cpus_per_actor(ray, actors, num_gpus):
    """One CPU per GPU actor; on CPUs, the cluster's CPUs shared out (a
    whole number, so that the actors fit on the machines)."""
    if num_gpus:
        return 1
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    per_node = min((int(n["Resources"].get("CPU", 1)) for n in nodes), default=1)
    return max(1, min(per_node, int(ray.cluster_resources().get("CPU", 1)) // actors))


def _default_actors(ray, num_gpus):
    resources = ray.cluster_resources()
    if num_gpus:
        return max(1, int(resources.get("GPU", 0) // num_gpus))
    return max(1, int(resources.get("CPU", 1)) // 2)


def _inputs(ray, source, out):
    """`([{"input", "kind"}], source Location or None)` of what to stylize
    (a Dataset's items also carry their `path`)."""
    if isinstance(source, ray.data.Dataset):
        if not {"image", "path"} <= set(source.schema().names):
            raise ValueError(
                "A Ray Dataset source needs `image` and `path` columns, as "
                "`ray.data.read_images(..., include_paths=True)` makes. "
                f"Received: columns={source.schema().names}"
            )
        paths, names = _relative_paths(source)
        if len(set(names)) != len(names):
            raise ValueError(
                "The Dataset's paths repeat; each output is named by its path. "
                f"Received: {len(names) - len(set(names))} repeated path(s)"
            )
        items = [{"input": n, "kind": "image", "path": p} for p, n in zip(paths, names)]
        return items, None
    src = Location(os.fspath(source) if not isinstance(source, str) else source)
    if not src.is_dir():
        raise FileNotFoundError(
            f"`source` must be an existing folder or URI of one. Received: source={str(source)!r}"
        )
    if src.root == out.root and type(src.fs) is type(out.fs):
        raise ValueError(
            "`output` must differ from `source` (outputs keep the input names). "
            f"Received: output={out.uri!r}"
        )
    if src.is_local:
        # As `stylize_folder` finds them: videos (and animated GIFs) probed.
        from keras_style.inference.folders import media_files

        found = media_files(src.root, exclude=out.root if out.is_local else None)
        kinds = {str(p.relative_to(src.root).as_posix()): k for p, k in found}
        files = [
            {"input": n, "kind": "video" if k.startswith("video") else k}
            for n, k in kinds.items()
        ]
    else:
        files = [
            {"input": n, "kind": kind_of(n)}
            for n in src.files(exclude=out)
            if kind_of(n) is not None
        ]
    return files, src


def _dataset(ray, source, items, source_loc, per_call):
    """The Ray Dataset of `items`, images sorted by size."""
    if source_loc is None:  # a Dataset of decoded images
        # Only the rows not written before, named as `_inputs` named them.
        todo = {r["path"]: r["input"] for r in items}
        ds = source.flat_map(
            lambda row: (
                [
                    {
                        "input": todo[row["path"]],
                        "kind": "image",
                        "image": row["image"],
                        "height": row["image"].shape[0],
                        "width": row["image"].shape[1],
                    }
                ]
                if row["path"] in todo
                else []
            )
        )
        # Sorted before the actors start: they would otherwise hold the
        # CPUs that the sort waits for.
        return ds.sort(["height", "width"]).materialize()
    if per_call == 1:
        return ray.data.from_items(items)
    # Headers are read here from a local disk, by Ray tasks from a remote
    # store; the few numbers per file are sorted here, much faster than
    # Ray's distributed sort.
    if source_loc.is_local:
        batch = probe({"input": [r["input"] for r in items]}, source=source_loc)
        probed = [
            {**r, "height": h, "width": w}
            for r, h, w in zip(items, batch["height"], batch["width"])
        ]
    else:
        probed = (
            ray.data.from_items(items)
            .map_batches(
                probe, fn_kwargs=dict(source=source_loc), batch_size=PROBE_BATCH
            )
            .take_all()
        )
    probed.sort(key=lambda r: (r["height"], r["width"], r["input"]))
    return ray.data.from_items(
        [{k: r[k] for k in ("input", "kind", "height", "width")} for r in probed]
    )


def _relative_paths(source):
    paths = [r["path"] for r in source.select_columns(["path"]).iter_rows()]
    root = posixpath.commonpath(paths) if len(paths) > 1 else ""
    if len(paths) == 1 or root in paths:
        root = posixpath.dirname(root or paths[0])
    return paths, [posixpath.relpath(p, root) if root else p for p in paths]
