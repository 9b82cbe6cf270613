"""The keras-style web app as a Hugging Face Space (or any Gradio host).

A Space runs `app.py` with Gradio: put this file in the Space's repository
with a `requirements.txt` holding `keras-style[app,export]` (see the
README's "Web app" section), and the page serves the Photo, Gatys, Video and
Webcam tabs. Locally, `python examples/app.py` is `keras-style app`.
"""

import os

from keras_style.app import StyleEngine, build_app

# Spaces set SPACE_ID; a Space must listen on every interface of its container.
host = "0.0.0.0" if os.environ.get("SPACE_ID") else "127.0.0.1"
page = build_app(StyleEngine(runtime="auto"))

if __name__ == "__main__":
    page.launch(server_name=host, max_file_size="25mb", ssr_mode=False)
