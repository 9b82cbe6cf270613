"""`keras-style app`: the web page (Photo, Gatys, Video, Webcam) on this machine.

`add_parser` registers the sub-command; `run` builds a `StyleEngine` and
serves `keras_style.app`'s page on 127.0.0.1 until interrupted.
"""

from keras_style.cli.arguments import positive_int
from keras_style.cli.stylize import RUNTIMES
from keras_style.defaults import APP_MAX_UPLOAD_MB


def run(args):
    from keras_style.app import StyleEngine, launch

    engine = StyleEngine(
        runtime=args.runtime, cache_dir=args.cache_dir, vgg_weights=args.vgg_weights
    )
    page = launch(
        engine,
        host=args.host,
        port=args.port,
        share=args.share,
        max_upload_mb=args.max_upload_mb,
        block=False,
    )
    print(f"keras-style app: serving on {page.local_url} (Ctrl+C to stop)")
    if args.share and page.share_url:
        print(f"public link (--share): {page.share_url}")
    try:
        page.block_thread()
    finally:
        engine.close()
        page.close()
    return 0


def add_parser(subparsers):
    p = subparsers.add_parser(
        "app",
        help="serve the web app (photo, Gatys, video, webcam) on this machine",
        description=(
            "Serve a web page to stylize photos, videos and the webcam. By default it "
            "listens on 127.0.0.1 only (--host) and shares nothing unless --share. "
            'Needs the app extra: pip install "keras-style[app]".'
        ),
    )
    p.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (127.0.0.1)"
    )
    p.add_argument(
        "--port", type=positive_int, help="port (default: 7860 or the next free one)"
    )
    p.add_argument(
        "--share",
        action="store_true",
        help="also make a public gradio.live link (sends traffic through Gradio)",
    )
    p.add_argument(
        "--runtime",
        choices=RUNTIMES,
        default="auto",
        help="what runs the networks (auto: ONNX Runtime when installed)",
    )
    p.add_argument(
        "--max-upload-mb",
        type=positive_int,
        default=APP_MAX_UPLOAD_MB,
        help=f"largest upload in MB ({APP_MAX_UPLOAD_MB})",
    )
    p.add_argument(
        "--vgg-weights",
        default="imagenet",
        help="VGG19 weights of the Gatys tab: imagenet (default) or a file",
    )
    p.add_argument("--cache-dir", help="cache root (default $KERAS_STYLE_CACHE)")
    p.set_defaults(func=run)
