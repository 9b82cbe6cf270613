"""The web app: `keras-style app`, or `build_app()` for a Hugging Face Space.

`engine` holds what the page does (styles, photos, Gatys, video, webcam
frames) without Gradio; `page` lays it out as Gradio tabs. Needs the `app`
extra: `pip install "keras-style[app]"`.
"""

from keras_style.app.engine import StyleEngine, WebcamSession
from keras_style.app.page import build_app, launch

__all__ = ["StyleEngine", "WebcamSession", "build_app", "launch"]
