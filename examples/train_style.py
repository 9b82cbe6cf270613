"""Train a fast style-transfer network on a folder of photos and save a preset.

Johnson, Alahi & Fei-Fei (2016) train on COCO 2014 (about 83k photos):

    wget http://images.cocodataset.org/zips/train2014.zip && unzip train2014.zip
    python examples/train_style.py --style wave.jpg --data train2014 -o presets/wave

Two epochs of COCO at batch 4 (about 41k steps) take a few hours on one GPU.
A smoke run on any small folder, with random VGG weights (no download):

    python examples/train_style.py --style wave.jpg --data photos/ -o /tmp/wave \\
        --steps 20 --image-size 64 --vgg-weights none

Run the same command again after a crash: training resumes at the step of the
last backup. `keras-style train` calls the same library function with every
setting as an option.
"""

import argparse

from keras_style import defaults
from keras_style.training.run import train_style


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--style", required=True, help="style image")
    p.add_argument("--data", required=True, help="folder of content photos")
    p.add_argument("-o", "--output", required=True, help="preset directory")
    p.add_argument("--steps", type=int, default=40000, help="training steps")
    p.add_argument("--steps-per-epoch", type=int, default=1000)
    p.add_argument("--batch-size", type=int, default=defaults.TRAIN_BATCH_SIZE)
    p.add_argument("--image-size", type=int, default=defaults.TRAIN_IMAGE_SIZE)
    p.add_argument(
        "--residual-blocks", type=int, default=defaults.TRAIN_RESIDUAL_BLOCKS
    )
    p.add_argument(
        "--vgg-weights", default=defaults.TRAIN_VGG_WEIGHTS, help="imagenet|none|PATH"
    )
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    # The defaults: VGG19 relu4_2 content and relu1_1 ... relu5_1 style taps
    # with the loss weights of lengstrom/fast-style-transfer, Adam 1e-3, the
    # style image sized to the crops (its motifs come out at its pixel
    # scale), a backup every 500 steps and a preview every 1000.
    steps_per_epoch = min(args.steps_per_epoch, args.steps)
    output = train_style(
        args.style,
        args.data,
        args.output,
        resume=True,  # continues an interrupted run; starts one otherwise
        epochs=max(1, args.steps // steps_per_epoch),
        steps_per_epoch=steps_per_epoch,
        batch_size=args.batch_size,
        image_size=args.image_size,
        residual_blocks=args.residual_blocks,
        vgg_weights=args.vgg_weights,
        seed=args.seed,
    )
    print(f"Saved {output}")
    return output


if __name__ == "__main__":
    main()
