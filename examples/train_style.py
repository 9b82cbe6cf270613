"""Train a fast style-transfer network on a folder of photos and save a preset.

Johnson, Alahi & Fei-Fei (2016) train on COCO 2014 (about 83k photos):

    wget http://images.cocodataset.org/zips/train2014.zip && unzip train2014.zip
    python examples/train_style.py --style wave.jpg --data train2014 -o presets/wave

Two epochs of COCO at batch 4 (about 41k steps) take a few hours on one GPU.
A smoke run on any small folder, with random VGG weights (no download):

    python examples/train_style.py --style wave.jpg --data photos/ -o /tmp/wave \\
        --steps 20 --image-size 64 --vgg-weights none

The `keras-style train` command does the same with resume and previews.
"""

import argparse
import pathlib

import keras

from keras_style.callbacks import (
    StepBackupAndRestore,
    StepLossLog,
    StopOnNaN,
    StylePreview,
)
from keras_style.data import image_dataset
from keras_style.image import list_images, load_image
from keras_style.training import default_style_size
from keras_style.transform_net import TransformNet


def readable_photos(folder, n):
    """The first `n` photos of `folder` that decode (for previews)."""
    found = []
    for path in list_images(folder):
        try:
            load_image(path)
            found.append(path)
        except ValueError:
            continue
        if len(found) == n:
            break
    return found


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--style", required=True, help="style image")
    p.add_argument("--data", required=True, help="folder of content photos")
    p.add_argument("-o", "--output", required=True, help="preset directory")
    p.add_argument("--steps", type=int, default=40000, help="training steps")
    p.add_argument("--steps-per-epoch", type=int, default=1000)
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--image-size", type=int, default=256)
    p.add_argument("--residual-blocks", type=int, default=5)
    p.add_argument("--vgg-weights", default="imagenet", help="imagenet|none|PATH")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    keras.utils.set_random_seed(args.seed)
    output = pathlib.Path(args.output)
    work = output.with_name(output.name + ".ckpt")

    # 1. The network and its perceptual loss. The defaults: VGG19 relu4_2
    #    content and relu1_1 ... relu5_1 style taps with the loss weights of
    #    lengstrom/fast-style-transfer, Adam 1e-3; the style image sized to
    #    the crops (its motifs come out at its pixel scale).
    model = TransformNet(residual_blocks=args.residual_blocks)
    model.build()
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        style_image=args.style,
        style_size=default_style_size(args.image_size),
        vgg_weights=None if args.vgg_weights.lower() == "none" else args.vgg_weights,
    )

    # 2. Content photos: square crops, shuffled, repeated, decoded in parallel.
    dataset = image_dataset(
        args.data,
        image_size=args.image_size,
        batch_size=args.batch_size,
        seed=args.seed,
    )

    # 3. Train. Run the script again after a crash: it resumes at the step of
    #    the last backup.
    steps_per_epoch = min(args.steps_per_epoch, args.steps)
    epochs = max(1, args.steps // steps_per_epoch)
    model.fit(
        dataset,
        epochs=epochs,
        steps_per_epoch=steps_per_epoch,
        callbacks=[
            StopOnNaN(),
            StepBackupAndRestore(work / "backup", save_freq=500),
            StepLossLog(work / "losses.csv"),  # after the backup: resumes its step
            StylePreview(
                readable_photos(args.data, 2),
                every_n_steps=1000,
                output_dir=work / "previews",
            ),
        ],
    )

    # 4. A preset directory: config.json, model.weights.h5, metadata, card.
    model.save_to_preset(
        output,
        metadata={"style_image": pathlib.Path(args.style).name, "steps": args.steps},
        overwrite=True,
    )
    print(f"Saved {output}")
    return output


if __name__ == "__main__":
    main()
