"""Embedding backbones: the paper's EEG MLP, its VGG-style CNN, or any user module.

Every backbone maps a batch ``X`` of shape ``(N, *input_shape)`` to embeddings ``(N, d)``.
"""

import inspect

import torch
from torch import nn

__all__ = [
    "MLPBackbone", "VGGBackbone", "BACKBONES", "register_backbone", "backbone_class",
    "input_shape_kwargs", "build_backbone", "embedding_size",
]  # fmt: skip


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


#: Named backbones accepted as ``module=`` by the estimators: name -> ``nn.Module`` class.
#: A new named backbone is one entry (or :func:`register_backbone`).
BACKBONES = {"mlp": MLPBackbone, "vgg": VGGBackbone}


def register_backbone(name, cls=None):
    """Add a named backbone: ``module=name`` then builds ``cls`` like the built-in ones.

    Usable as a decorator (``@register_backbone("name")``). The backbone gets the same
    input-shape inference as every backbone class (see :func:`input_shape_kwargs`).

    Parameters
    ----------
    name : str
        The name accepted as ``module=``.
    cls : type of nn.Module, default=None
        The backbone class; ``None`` returns a decorator.

    Returns
    -------
    cls : type of nn.Module
        ``cls`` itself (or the decorator).

    Raises
    ------
    ValueError
        If ``name`` is not a string or is taken by another class, or ``cls`` is not an
        ``nn.Module`` class.

    Examples
    --------
    >>> from torch import nn
    >>> from sk_prnet.modules import BACKBONES, register_backbone
    >>> @register_backbone("linear4")
    ... class Linear4(nn.Module):
    ...     def __init__(self, in_features):
    ...         super().__init__()
    ...         self.fc = nn.Linear(in_features, 4)
    ...     def forward(self, x):
    ...         return self.fc(x.flatten(1))
    >>> BACKBONES["linear4"] is Linear4
    True
    >>> del BACKBONES["linear4"]
    """
    if cls is None:
        return lambda c: register_backbone(name, c)
    if not isinstance(name, str) or not name:
        raise ValueError(f"A backbone name must be a non-empty string, got {name!r}.")
    if not (inspect.isclass(cls) and issubclass(cls, nn.Module)):
        raise ValueError(f"A backbone must be an nn.Module class, got {cls!r}.")
    if BACKBONES.get(name, cls) is not cls:
        raise ValueError(
            f"The backbone name {name!r} is taken by {BACKBONES[name].__name__}; "
            "choose another name."
        )
    BACKBONES[name] = cls
    return cls


def backbone_class(spec):
    """The backbone class a ``module=`` value stands for.

    Parameters
    ----------
    spec : str or type of nn.Module or nn.Module
        A name in :data:`BACKBONES`, a module class or an instance.

    Returns
    -------
    cls : type of nn.Module or None
        The name's registry entry, the class itself or the instance's type; ``None`` for an
        unknown name or anything else.

    Examples
    --------
    >>> from sk_prnet.modules import MLPBackbone, backbone_class
    >>> backbone_class("mlp") is MLPBackbone
    True
    """
    if isinstance(spec, str):
        return BACKBONES.get(spec)
    if isinstance(spec, nn.Module):
        return type(spec)
    if inspect.isclass(spec) and issubclass(spec, nn.Module):
        return spec
    return None


def input_shape_kwargs(backbone_cls, input_shape):
    """Constructor arguments of a backbone class derived from the shape of one sample.

    By parameter name, for any backbone class (named or the user's): ``in_features`` gets
    the number of values of a sample, ``in_channels`` the first axis of an image sample
    ``(channels, height, width)``, ``input_shape`` the shape itself. Arguments given
    explicitly (``module__*``) take precedence.

    Parameters
    ----------
    backbone_cls : type of nn.Module
    input_shape : tuple of int
        Shape of one sample, without the batch axis.

    Returns
    -------
    kwargs : dict

    Raises
    ------
    ValueError
        If the class takes ``in_channels`` and the samples are not ``(C, H, W)`` images.

    Examples
    --------
    >>> from sk_prnet.modules import MLPBackbone, VGGBackbone, input_shape_kwargs
    >>> input_shape_kwargs(MLPBackbone, (2, 5))
    {'in_features': 10}
    >>> input_shape_kwargs(VGGBackbone, (3, 32, 32))
    {'in_channels': 3}
    """
    try:
        params = inspect.signature(backbone_cls).parameters
    except (TypeError, ValueError):  # e.g. a C-implemented signature: nothing to infer
        return {}
    shape = tuple(int(s) for s in input_shape)
    kwargs = {}
    if "in_features" in params:
        kwargs["in_features"] = int(torch.Size(shape).numel())
    if "in_channels" in params:
        if len(shape) != 3:
            raise ValueError(
                f"{backbone_cls.__name__} takes images: it needs samples of shape (channels, "
                f"height, width), i.e. X of shape (n_samples, channels, height, width); "
                f"got samples of shape {shape}."
            )
        kwargs["in_channels"] = shape[0]
    if "input_shape" in params:
        kwargs["input_shape"] = shape
    return kwargs


def build_backbone(spec, input_shape, **kwargs):
    """Instantiate a backbone from a name, a ``nn.Module`` class or an instance.

    Parameters
    ----------
    spec : str or type of nn.Module or nn.Module
        A name in :data:`BACKBONES` (``"mlp"``, ``"vgg"``, or one added with
        :func:`register_backbone`), a module class or a ready instance (used as is;
        ``kwargs`` must then be empty). A class, named or not, is instantiated with the
        arguments :func:`input_shape_kwargs` derives from ``input_shape``, then ``kwargs``.
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
    if isinstance(spec, nn.Module):
        if kwargs:
            raise ValueError(
                f"module is an nn.Module instance, so module__ arguments {sorted(kwargs)} "
                "cannot be applied; pass the class instead."
            )
        return spec
    cls = backbone_class(spec)
    if cls is None:
        names = sorted(BACKBONES)
        if isinstance(spec, str):
            raise ValueError(
                f"Unknown module {spec!r}; use one of {names}, an nn.Module "
                "class, or an nn.Module instance mapping X to an embedding."
            )
        raise ValueError(
            f"module must be one of {names}, an nn.Module class or instance; got {spec!r}."
        )
    return cls(**{**input_shape_kwargs(cls, input_shape), **kwargs})


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
