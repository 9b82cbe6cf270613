"""The web page: four tabs laid out with Gradio over a `StyleEngine`.

Photo (any zoo style or any painting, strength, colours, size; also the API
endpoint `/stylize`), Gatys (photo plus painting, intermediate images,
cancellable), Video (sound and flow consistency kept) and Webcam (a live
stream from the browser's camera).
"""

import os
import pathlib
import tempfile
import threading

from keras_style.app.engine import (
    DEFAULT_OUTPUT_SIZE,
    OUTPUT_SIZES,
    StyleEngine,
    temporary_output,
)
from keras_style.defaults import APP_MAX_UPLOAD_MB

APP_EXTRA = 'pip install "keras-style[app]"'
# Seconds between webcam frames sent by the browser, and the longest a stream
# may hold a worker before the user presses record again.
WEBCAM_EVERY = 0.1
WEBCAM_TIME_LIMIT = 600
# Cached uploads and results older than this many seconds are deleted,
# checked as often (Gradio's `delete_cache`).
CACHE_MAX_AGE = 3600


def _gradio():
    # Gradio's analytics would call home; this app never does.
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    try:
        import gradio as gr
    except ImportError:
        raise ImportError(
            f"The web app needs Gradio, from the `app` extra: {APP_EXTRA}"
        ) from None

    return gr


def _errors_shown(fn):
    """Bad input (a broken file, a missing photo) as a message on the page
    rather than Gradio's bare "Error"; the server keeps serving."""
    import functools
    import inspect

    gr = _gradio()
    bad_input = (ValueError, OSError, TypeError)

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def stream(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except bad_input as e:
                raise gr.Error(str(e)) from e

        return stream

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except bad_input as e:
            raise gr.Error(str(e)) from e

    return wrapper


def _uploaded(value, cache):
    """The local path of an uploaded image, given unprocessed.

    Images reach the handlers unprocessed (`preprocess=False`) so that a
    broken file gets this package's message rather than Gradio's; the path
    must then lie in Gradio's upload cache, as Gradio itself would insist.
    """
    if value is None:
        return None
    path = pathlib.Path(value["path"] if isinstance(value, dict) else value)
    if not path.resolve().is_relative_to(pathlib.Path(cache).resolve()):
        raise ValueError(f"Not an uploaded file. Received: path={str(path)!r}")
    return str(path)


def build_app(engine=None, *, title="keras-style"):
    """The `gradio.Blocks` page of `keras-style app` (not launched).

    Args:
        engine: a `StyleEngine` (default: one with the fastest runtime).
        title: the browser tab's title.

    Returns:
        A `gradio.Blocks` with its queue set: two photos or webcam frames at
        once, one Gatys run and one video at a time.

    Example:

    >>> build_app().launch(server_name="127.0.0.1")
    """
    gr = _gradio()
    engine = engine or StyleEngine()
    styles = engine.styles()
    first = styles[0] if styles else None
    # Video results before Gradio copies them into its cache; removed with
    # the page (TemporaryDirectory cleans up when collected or at exit).
    outputs = tempfile.TemporaryDirectory(prefix="keras-style-app-")

    with gr.Blocks(
        title=title,
        analytics_enabled=False,
        delete_cache=(CACHE_MAX_AGE, CACHE_MAX_AGE),
    ) as page:
        gr.Markdown(
            "# keras-style\nNeural style transfer on your computer: nothing "
            "leaves this machine."
        )
        with gr.Tab("Photo", id="photo"):
            with gr.Row():
                with gr.Column():
                    photo = gr.Image(
                        label="Photo",
                        type="filepath",
                        sources=["upload", "clipboard"],
                        elem_id="photo",
                    )
                    style = gr.Dropdown(
                        styles, value=first, label="Style", elem_id="style"
                    )
                    painting = gr.Image(
                        label="...or any painting (overrides the style)",
                        type="filepath",
                        sources=["upload", "clipboard"],
                    )
                    strength = gr.Slider(
                        0.0, 1.0, value=1.0, step=0.05, label="Strength"
                    )
                    colors = gr.Checkbox(label="Keep the photo's colours")
                    size = gr.Dropdown(
                        list(OUTPUT_SIZES),
                        value=DEFAULT_OUTPUT_SIZE,
                        label="Network size (longest side; the result keeps the photo's size)",
                    )
                    run = gr.Button("Stylize", variant="primary", elem_id="stylize")
                with gr.Column():
                    result = gr.Image(
                        label="Result",
                        type="pil",
                        format="png",
                        elem_id="result",
                        buttons=["download", "fullscreen"],
                    )
                    previews_gallery = gr.Gallery(
                        label="Your photo in every style (click one to choose it)",
                        columns=5,
                        height="auto",
                        allow_preview=False,
                        elem_id="previews",
                    )
                    preview = gr.Button("Preview every style", elem_id="preview")

            cache = page.GRADIO_CACHE

            def stylize_photo(image, style, strength, colors, size, painting):
                return engine.stylize_photo(
                    _uploaded(image, cache),
                    style,
                    strength,
                    colors,
                    size,
                    painting=_uploaded(painting, cache),
                )

            run.click(
                _errors_shown(stylize_photo),
                [photo, style, strength, colors, size, painting],
                result,
                api_name="stylize_photo",
                preprocess=False,
                concurrency_limit=2,
                concurrency_id="network",
            )

            # The API endpoint `gradio_client` users call:
            # client.predict(handle_file("photo.jpg"), "wave", 1.0, api_name="/stylize")
            def stylize(image, style, strength):
                return engine.stylize_photo(_uploaded(image, cache), style, strength)

            api = gr.Button(visible=False)
            api.click(
                _errors_shown(stylize),
                [photo, style, strength],
                result,
                api_name="stylize",
                preprocess=False,
                concurrency_id="network",
            )

            def previews(image):
                return engine.previews(_uploaded(image, cache))

            preview.click(
                _errors_shown(previews),
                photo,
                previews_gallery,
                api_visibility="private",
                preprocess=False,
                concurrency_id="network",
            )

            def choose(event: gr.SelectData):
                return styles[event.index]

            previews_gallery.select(choose, None, style, api_visibility="private")

        with gr.Tab("Gatys", id="gatys", elem_id="gatys"):
            with gr.Row():
                with gr.Column():
                    g_photo = gr.Image(label="Photo", type="filepath")
                    g_painting = gr.Image(label="Painting", type="filepath")
                    g_iterations = gr.Slider(
                        10, 1000, value=200, step=10, label="Iterations"
                    )
                    g_size = gr.Slider(128, 1024, value=384, step=64, label="Size")
                    with gr.Row():
                        g_run = gr.Button(
                            "Optimize", variant="primary", elem_id="gatys-run"
                        )
                        g_stop = gr.Button(
                            "Cancel", variant="stop", elem_id="gatys-stop"
                        )
                with gr.Column():
                    g_result = gr.Image(
                        label="Result",
                        type="numpy",
                        format="png",
                        elem_id="gatys-result",
                    )
                    g_status = gr.Markdown(elem_id="gatys-status")

            # The stop event of each browser session's running optimization:
            # Cancel sets it, so the optimization thread ends too.
            stops = {}

            def gatys(photo, painting, iterations, size, request: gr.Request):
                photo, painting = _uploaded(photo, cache), _uploaded(painting, cache)
                stop = stops[request.session_hash] = threading.Event()
                for image, iteration in engine.gatys(
                    photo, painting, iterations, size, stop=stop
                ):
                    yield image, f"iteration {iteration} of {int(iterations)}"

            def cancel(request: gr.Request):
                stop = stops.pop(request.session_hash, None)
                if stop is not None:
                    stop.set()

            g_event = g_run.click(
                _errors_shown(gatys),
                [g_photo, g_painting, g_iterations, g_size],
                [g_result, g_status],
                api_name="gatys",
                preprocess=False,
                concurrency_limit=1,
            )
            g_stop.click(
                cancel,
                None,
                None,
                cancels=[g_event],
                queue=False,
                api_visibility="private",
            )

        with gr.Tab("Video", id="video", elem_id="video"):
            with gr.Row():
                with gr.Column():
                    v_input = gr.Video(label="Clip", sources=["upload"])
                    v_style = gr.Dropdown(styles, value=first, label="Style")
                    v_run = gr.Button(
                        "Stylize the clip", variant="primary", elem_id="video-run"
                    )
                with gr.Column():
                    v_output = gr.Video(
                        label="Result (with its sound)", elem_id="video-result"
                    )

            # Gradio fills in `progress` (its documented pattern).
            def video(clip, style, progress=gr.Progress()):  # noqa: B008
                def report(done, total):
                    at = (done, total) if total else None  # None: no total known
                    progress(at, desc="Stylizing frames", unit="frames")

                out = temporary_output(outputs.name, ".mp4", CACHE_MAX_AGE)
                return str(engine.stylize_video(clip, style, out, progress=report))

            v_run.click(
                _errors_shown(video),
                [v_input, v_style],
                v_output,
                api_name="stylize_video",
                concurrency_limit=1,
            )

        with gr.Tab("Webcam", id="webcam"):
            with gr.Row():
                with gr.Column():
                    camera = gr.Image(
                        label="Camera",
                        sources=["webcam"],
                        streaming=True,
                        type="numpy",
                        elem_id="camera",
                        # Unmirrored, like the stylized frames beside it.
                        webcam_options=gr.WebcamOptions(mirror=False),
                    )
                    w_style = gr.Dropdown(styles, value=first, label="Style")
                with gr.Column():
                    w_output = gr.Image(label="Stylized", elem_id="webcam-result")
                    fps = gr.Markdown(elem_id="fps")
            session = gr.State(None)

            def frame(image, style, state):
                if image is None:
                    return None, "", state
                state = state or engine.webcam()
                styled, rate = state(image, style)
                return styled, f"{rate:.1f} frames/s", state

            camera.stream(
                _errors_shown(frame),
                [camera, w_style, session],
                [w_output, fps, session],
                stream_every=WEBCAM_EVERY,
                time_limit=WEBCAM_TIME_LIMIT,
                show_progress="hidden",
                concurrency_limit=2,
                api_visibility="private",
            )
    page.queue(max_size=32)
    page.keras_style_outputs = outputs  # lives as long as the page
    return page


def launch(
    engine=None,
    *,
    host="127.0.0.1",
    port=None,
    share=False,
    max_upload_mb=APP_MAX_UPLOAD_MB,
    block=True,
):
    """Builds and serves the page; returns the launched `gradio.Blocks`.

    Binds to `host` (loopback by default: nothing is reachable from other
    machines) and makes no public link unless `share=True`.

    Example:

    >>> page = launch(StyleEngine(runtime="onnx"), port=7860, block=False)
    >>> page.local_url
    'http://127.0.0.1:7860/'
    >>> page.close()
    """
    page = build_app(engine)
    page.launch(
        server_name=host,
        server_port=port,
        share=share,
        max_file_size=f"{int(max_upload_mb)}mb",
        prevent_thread_lock=not block,
        quiet=True,
        show_error=True,
        ssr_mode=False,
    )
    return page
