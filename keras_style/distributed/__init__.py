"""Beyond one machine: bulk stylization on a Ray cluster.

`stylize_dataset` stylizes a folder, a bucket (`s3://`, `gs://`) or a Ray
Dataset with one stylizer per Ray actor (`pip install "keras-style[ray]"`).
Training across processes uses Keras' own distribution API; see the README's
"Scaling out" section.
"""

from keras_style.distributed.dataset import (
    DatasetResult,
    require_ray,
    stylize_dataset,
)

__all__ = ["DatasetResult", "require_ray", "stylize_dataset"]
