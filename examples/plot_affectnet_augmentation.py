"""
Images: synthetic AffectNet and the paper's augmentation
========================================================

The paper's image experiments regress valence and arousal on AffectNet faces with a
VGG-style CNN (5 stages of two 3x3 convolutions, 96x96 input) and augment every training
batch: rotation within +-30 degrees, zoom within +-15 %, horizontal flips and
brightness/contrast changes.

AffectNet is licensed. :func:`~sk_prnet.datasets.make_synthetic_affectnet` writes a small
stand-in in AffectNet's layout (a CSV of annotations beside a folder of JPEG face crops),
which :func:`~sk_prnet.datasets.load_affectnet` reads, crops and caches as a memory-mapped
``uint8`` array. Needs the images extra: ``pip install sk-prnet[images]``.
"""

# %%
import os
import tempfile

import matplotlib.pyplot as plt
import numpy as np
import torch

from sk_prnet import PRNetRegressor
from sk_prnet.datasets import load_affectnet, make_synthetic_affectnet
from sk_prnet.modules import BatchAugment

QUICK = os.environ.get("SK_PRNET_EXAMPLES_QUICK") == "1"  # toy size in the test suite
torch.set_num_threads(2)

root = make_synthetic_affectnet(tempfile.mkdtemp(prefix="sk_prnet_affectnet_"), n=64,
                                n_validation=16, random_state=0)
faces = load_affectnet(root, split="training", size=96, progress=False)
print(faces.images.shape, faces.images.dtype, faces.target_names)

# %%
# The augmentation on a grid of faces
# -----------------------------------
# Top row: four faces as loaded. Below: three independent draws of the paper's
# augmentation (:class:`~sk_prnet.modules.BatchAugment` with its defaults), applied per
# sample on the device of the batch.
batch = torch.from_numpy(np.array(faces.images[:4])).float() / 255
augment = BatchAugment()
torch.manual_seed(0)
rows = [batch] + [augment(batch) for _ in range(3)]
fig, axes = plt.subplots(len(rows), len(batch), figsize=(6, 6))
for i, images in enumerate(rows):
    for j, image in enumerate(images):
        axes[i, j].imshow(image.permute(1, 2, 0).clamp(0, 1).numpy())
        axes[i, j].axis("off")
axes[0, 0].set_title("original", loc="left", fontsize=9)
axes[1, 0].set_title("augmented", loc="left", fontsize=9)
fig.tight_layout()
plt.show()

# %%
# A few training steps of the image PRNet
# ---------------------------------------
# The estimator takes the ``uint8`` memmap directly (batches are read, scaled by 1/255 and
# augmented on the device). ``augment="paper"`` switches the augmentation on; ``max_steps``
# counts optimizer steps as the paper does on AffectNet (50K there; a handful here, on a
# CPU, to show the mechanics only).
net = PRNetRegressor(module="vgg", alpha=1.0, epsilon=0.15, batch_size=8,
                     max_steps=2 if QUICK else 4, lr=1e-3, weight_decay=1e-4,
                     augment="paper", random_state=0)
net.fit(faces.images, faces.y)
print(net.history[:, "train_loss"])
print(net.predict(faces.images[:4]).round(3))
