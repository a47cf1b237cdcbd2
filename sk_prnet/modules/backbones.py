"""Embedding backbones: the paper's EEG MLP, its VGG-style CNN, or any user module.

Every backbone maps a batch ``X`` of shape ``(N, *input_shape)`` to embeddings ``(N, d)``.
"""

import inspect

import torch
from torch import nn

__all__ = ["MLPBackbone", "VGGBackbone", "BACKBONES", "build_backbone", "embedding_size"]


class MLPBackbone(nn.Module):
    """Fully connected embedding: ``Linear -> ReLU`` per hidden layer (paper EEG: 128, 128).

    Parameters
    ----------
    in_features : int
        Size of one (flattened) input sample.
    hidden_sizes : sequence of int, default=(128, 128)
        Width of each hidden layer; the last one is the embedding size.

    Notes
    -----
    Shapes: input ``(N, *)`` flattened to ``(N, in_features)``; output ``(N, hidden_sizes[-1])``.
    """

    def __init__(self, in_features, hidden_sizes=(128, 128)):
        super().__init__()
        hidden_sizes = tuple(int(h) for h in hidden_sizes)
        if not hidden_sizes or min(hidden_sizes) < 1:
            raise ValueError(
                f"hidden_sizes must be a non-empty sequence of positive ints, got {hidden_sizes}."
            )
        layers, width = [], int(in_features)
        for h in hidden_sizes:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        """Embed a batch: ``(N, *)`` -> ``(N, hidden_sizes[-1])``."""
        return self.layers(x if x.ndim == 2 else x.flatten(1))


class VGGBackbone(nn.Module):
    """VGG-style CNN of the paper's image experiments, flattened to one vector per image.

    Each stage is two ``3x3`` convolutions (padding 1) with ReLU, then ``2x2`` max-pooling.

    Parameters
    ----------
    in_channels : int, default=3
        Channels of the input images.
    channels : sequence of int, default=(64, 128, 256, 512, 512)
        Output channels of each stage (the paper's five stages).
    channels_last : bool, default=False
        Keep the convolution weights and activations in channels-last (NHWC) memory
        layout: the same function (outputs equal up to float rounding), usually faster on
        GPUs with tensor cores, especially with ``precision="bf16"``.

    Notes
    -----
    Shapes: input ``(N, in_channels, H, W)``; output
    ``(N, channels[-1] * (H // 2**S) * (W // 2**S))`` with ``S = len(channels)``:
    ``(N, 4608)`` for 96x96 images.
    """

    def __init__(self, in_channels=3, channels=(64, 128, 256, 512, 512), channels_last=False):
        super().__init__()
        self.channels_last = bool(channels_last)
        layers, width = [], int(in_channels)
        for c in channels:
            layers += [
                nn.Conv2d(width, c, 3, padding=1),
                nn.ReLU(inplace=True),
                nn.Conv2d(c, c, 3, padding=1),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(2),
            ]
            width = int(c)
        self.features = nn.Sequential(*layers)
        if self.channels_last:  # 4-D weights only; moving devices later keeps the layout
            self.to(memory_format=torch.channels_last)

    def forward(self, x):
        """Embed a batch of images: ``(N, C, H, W)`` -> ``(N, d)``."""
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return self.features(x).flatten(1)


#: Named backbones accepted as ``module=`` by the estimators.
BACKBONES = {"mlp": MLPBackbone, "vgg": VGGBackbone}


def _shape_kwargs(cls, input_shape):
    """Keyword arguments a built-in backbone derives from the input shape."""
    if cls is MLPBackbone:
        return {"in_features": int(torch.Size(input_shape).numel())}
    if cls is VGGBackbone:
        if len(input_shape) != 3:
            raise ValueError(
                "module='vgg' needs images of shape (n_samples, channels, height, width); "
                f"got samples of shape {tuple(input_shape)}."
            )
        return {"in_channels": int(input_shape[0])}
    return {}


def build_backbone(spec, input_shape, **kwargs):
    """Instantiate a backbone from a name, a ``nn.Module`` class or an instance.

    Parameters
    ----------
    spec : {"mlp", "vgg"} or type of nn.Module or nn.Module
        A named backbone, a module class (instantiated with ``kwargs``) or a ready instance
        (used as is; ``kwargs`` must then be empty).
    input_shape : tuple of int
        Shape of one sample, without the batch axis.
    **kwargs
        Constructor arguments (``module__*`` parameters of the estimators).

    Returns
    -------
    backbone : nn.Module

    Raises
    ------
    ValueError
        For an unknown name, or arguments given with a module instance.
    """
    if isinstance(spec, str):
        if spec not in BACKBONES:
            raise ValueError(
                f"Unknown module {spec!r}; use one of {sorted(BACKBONES)}, an nn.Module "
                "class, or an nn.Module instance mapping X to an embedding."
            )
        cls = BACKBONES[spec]
        return cls(**{**_shape_kwargs(cls, input_shape), **kwargs})
    if isinstance(spec, nn.Module):
        if kwargs:
            raise ValueError(
                f"module is an nn.Module instance, so module__ arguments {sorted(kwargs)} "
                "cannot be applied; pass the class instead."
            )
        return spec
    if inspect.isclass(spec) and issubclass(spec, nn.Module):
        return spec(**kwargs)
    raise ValueError(f"module must be 'mlp', 'vgg', an nn.Module class or instance; got {spec!r}.")


def embedding_size(backbone, input_shape):
    """Embedding width of ``backbone``, found by a dry run on two zero samples.

    Parameters
    ----------
    backbone : nn.Module
    input_shape : tuple of int
        Shape of one sample.

    Returns
    -------
    d : int

    Raises
    ------
    ValueError
        If the backbone fails on such input or does not return ``(N, d)`` embeddings.
    """
    param = next(backbone.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    probe = torch.zeros((2, *input_shape), device=device)
    was_training = backbone.training
    backbone.eval()
    try:
        with torch.no_grad():
            out = backbone(probe)
    except Exception as exc:  # the user's module: report what it was given
        raise ValueError(
            f"The backbone {type(backbone).__name__} failed on input of shape "
            f"{tuple(probe.shape)}: {exc}"
        ) from exc
    finally:
        backbone.train(was_training)
    if not isinstance(out, torch.Tensor) or out.ndim != 2 or out.shape[0] != 2:
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ValueError(
            f"The backbone must return embeddings of shape (n_samples, d); got {shape} "
            f"for input {tuple(probe.shape)}. Flatten its output (e.g. x.flatten(1))."
        )
    return int(out.shape[1])
