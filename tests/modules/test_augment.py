"""BatchAugment: geometry conventions, per-sample draws, seeding, intensities, validation."""

import copy
import pickle
import subprocess
import sys
import textwrap

import pytest
import torch
from torch import nn

pytest.importorskip("kornia")

from sk_prnet.modules.augment import PAPER_AUGMENT, BatchAugment, make_augment  # noqa: E402

OFF = {"rotation": 0.0, "zoom": 0.0, "hflip": 0.0, "brightness": 0.0, "contrast": 0.0}


def only(**settings):
    """A BatchAugment with every operation off except ``settings``."""
    return BatchAugment(**{**OFF, **settings})


def dot(size, row, col):
    image = torch.zeros(1, 1, size, size)
    image[0, 0, row, col] = 1.0
    return image


def brightest(image):
    flat = int(image[0, 0].argmax())
    return divmod(flat, image.shape[-1])


def patterned(n=2, channels=1, size=17, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(1, channels, size, size, generator=g).expand(n, -1, -1, -1).contiguous()


# --------------------------------------------------------------------------- geometry
def test_hflip_is_an_exact_mirror():
    x = torch.rand(3, 2, 9, 13)
    torch.manual_seed(0)
    assert torch.equal(only(hflip=1.0)(x), x.flip(-1))


@pytest.mark.parametrize(
    "angle, start, end",
    [
        # positive = counter-clockwise as displayed (row axis pointing down)
        (90.0, (4, 16), (16, 4)),  # top -> left
        (90.0, (16, 28), (4, 16)),  # right -> top
        (-90.0, (4, 16), (16, 28)),  # top -> right
        (180.0, (4, 10), (28, 22)),
    ],
)
def test_rotation_direction_counter_clockwise(angle, start, end):
    aug = only(rotation=(angle, angle))
    out = aug(dot(33, *start))
    assert brightest(out) == end
    assert out.max() > 0.99  # a rotation by a multiple of 90 degrees about (16, 16) is exact


def test_rotation_range_draws_within_bounds():
    # A dot at radius 12 rotated by an angle in [20, 40] degrees CCW: from the top (12 o'clock)
    # it moves left and slightly down, never to the right.
    aug = only(rotation=(20.0, 40.0))
    torch.manual_seed(0)
    out = aug(dot(33, 4, 16).expand(16, -1, -1, -1))
    for image in out:
        row, col = brightest(image[None])
        assert 4 <= row <= 8 and 4 <= col <= 13


@pytest.mark.parametrize("factor", [1.15, 0.85])
def test_zoom_scales_a_centred_square(factor):
    x = torch.zeros(1, 1, 65, 65)
    x[..., 22:43, 22:43] = 1.0  # 21 x 21, centred on (32, 32)
    out = only(zoom=(factor, factor))(x)
    assert out.sum() / x.sum() == pytest.approx(factor**2, rel=0.03)
    side = (out[0, 0, 32] > 0.5).sum().item()  # width of the middle row
    assert side == pytest.approx(21 * factor, abs=1)
    # the centre stays put: the result is symmetric about (32, 32)
    assert torch.allclose(out, out.flip(-1), atol=1e-5)
    assert torch.allclose(out, out.flip(-2), atol=1e-5)


def test_paper_zoom_range_is_symmetric():
    x = torch.zeros(200, 1, 65, 65)
    x[..., 22:43, 22:43] = 1.0
    torch.manual_seed(0)
    ratios = (only(zoom=0.15)(x).sum((1, 2, 3)) / x[0].sum()).sqrt()
    assert 0.84 < ratios.min() < 0.88 and 1.12 < ratios.max() < 1.16


# --------------------------------------------------------------------------- randomness
def test_parameters_are_drawn_per_sample():
    x = patterned(n=2)
    torch.manual_seed(0)
    out = BatchAugment()(x)
    assert not torch.allclose(out[0], out[1])


def test_same_seed_same_output_different_seed_different_output():
    aug, x = BatchAugment(), patterned(n=4, channels=3)
    outs = []
    for seed in (0, 0, 1):
        torch.manual_seed(seed)
        outs.append(aug(x))
    assert torch.equal(outs[0], outs[1])
    assert not torch.allclose(outs[0], outs[2])


def test_fork_rng_as_the_estimators_use_it():
    aug, x = BatchAugment(), patterned(n=3)
    before = torch.random.get_rng_state()
    runs = []
    for _ in range(2):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(42)
            runs.append([aug(x), aug(x)])
    assert torch.equal(runs[0][0], runs[1][0]) and torch.equal(runs[0][1], runs[1][1])
    assert not torch.equal(runs[0][0], runs[0][1])  # successive batches differ
    assert torch.equal(before, torch.random.get_rng_state())


def test_explicit_generator_leaves_the_global_state_alone():
    aug, x = BatchAugment(), patterned(n=3)
    state = torch.random.get_rng_state()
    first = aug(x, generator=torch.Generator().manual_seed(7))
    assert torch.equal(state, torch.random.get_rng_state())
    assert torch.equal(first, aug(x, generator=torch.Generator().manual_seed(7)))
    assert not torch.equal(first, aug(x, generator=torch.Generator().manual_seed(8)))


def test_pickle_and_deepcopy_reproduce():
    aug, x = BatchAugment(), patterned(n=3)
    torch.manual_seed(3)
    expected = aug(x)
    for clone in (pickle.loads(pickle.dumps(aug)), copy.deepcopy(aug)):
        assert repr(clone) == repr(aug)
        torch.manual_seed(3)
        assert torch.equal(clone(x), expected)


def test_p_leaves_some_samples_untouched():
    x = patterned(n=64)
    torch.manual_seed(0)
    out = BatchAugment(p=0.5)(x)
    same = (out == x).flatten(1).all(1)
    assert 10 < same.sum() < 54


# --------------------------------------------------------------------------- intensities
def test_brightness_multiplies_each_sample_by_its_own_factor():
    x = 0.1 + 0.4 * patterned(n=8, channels=3)  # in [0.1, 0.5]: no clipping at factor <= 1.5
    torch.manual_seed(0)
    out = only(brightness=0.5)(x)
    ratio = out / x
    per_sample = ratio.flatten(1)
    assert torch.allclose(per_sample, per_sample[:, :1].expand_as(per_sample), atol=1e-5)
    factors = per_sample[:, 0]
    assert ((factors >= 0.5 - 1e-6) & (factors <= 1.5 + 1e-6)).all()
    assert factors.unique().numel() == len(factors)


@pytest.mark.parametrize("channels", [1, 3])
def test_contrast_blends_with_the_mean(channels):
    x = 0.3 + 0.4 * patterned(n=8, channels=channels)  # in [0.3, 0.7]: no clipping
    torch.manual_seed(0)
    out = only(contrast=0.5)(x)
    if channels == 1:
        assert torch.allclose(out.mean((1, 2, 3)), x.mean((1, 2, 3)), atol=1e-5)
    scale = out.std((1, 2, 3)) / x.std((1, 2, 3))
    assert ((scale > 0.5 - 1e-4) & (scale < 1.5 + 1e-4)).all()
    assert scale.unique().numel() == len(scale)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_output_keeps_shape_dtype_and_unit_range(dtype):
    x = torch.rand(5, 3, 24, 20, dtype=dtype)
    torch.manual_seed(0)
    out = BatchAugment(brightness=(1.8, 2.0), contrast=0.5)(x)
    assert out.shape == x.shape and out.dtype == dtype and out.device == x.device
    assert out.min() >= 0 and out.max() <= 1
    assert (out == 1).any()  # saturated by the x1.8 - x2 brightness, clamped


def test_gradients_flow():
    x = torch.rand(2, 1, 12, 12, requires_grad=True)
    BatchAugment()(x).sum().backward()
    assert x.grad is not None and x.grad.shape == x.shape


# --------------------------------------------------------------------------- identity
@pytest.mark.parametrize("settings", [OFF, {"p": 0.0}])
def test_identity_settings_return_the_input(settings):
    aug = BatchAugment(**settings)
    assert aug.is_identity
    x = torch.rand(4, 3, 10, 10)
    assert torch.equal(aug(x), x)


def test_empty_batch():
    x = torch.rand(0, 1, 8, 8)
    assert BatchAugment()(x).shape == x.shape


# --------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    "settings, match",
    [
        ({"rotation": -1.0}, "rotation must be >= 0"),
        ({"rotation": (10, -10)}, "low <= high"),
        ({"rotation": float("nan")}, "finite"),
        ({"rotation": "30"}, "rotation must be"),
        ({"rotation": (1, 2, 3)}, "pair"),
        ({"zoom": 1.0}, r"zoom must be in \[0, 1\)"),
        ({"zoom": 1.5}, r"zoom must be in \[0, 1\)"),
        ({"zoom": -0.1}, "zoom must be >= 0"),
        ({"zoom": (0.0, 1.2)}, "low > 0"),
        ({"hflip": 1.5}, r"hflip must be a probability in \[0, 1\]"),
        ({"hflip": -0.1}, "hflip must be a probability"),
        ({"hflip": True}, "hflip must be a probability"),
        ({"p": 2}, "p must be a probability"),
        ({"brightness": -0.1}, "brightness must be >= 0"),
        ({"contrast": (-1, 1)}, "low >= 0"),
        ({"padding_mode": "wrap"}, "padding_mode"),
    ],
)
def test_invalid_parameters_raise(settings, match):
    with pytest.raises(ValueError, match=match):
        BatchAugment(**settings)


def test_invalid_batches_raise():
    aug = BatchAugment()
    with pytest.raises(TypeError, match="divide uint8 images by 255"):
        aug(torch.zeros(2, 1, 8, 8, dtype=torch.uint8))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        aug(torch.zeros(1, 8, 8))


def test_missing_kornia_in_process(monkeypatch):
    monkeypatch.setitem(sys.modules, "kornia", None)  # `import kornia...` now raises
    monkeypatch.delitem(sys.modules, "kornia.augmentation")
    with pytest.raises(ImportError, match=r"pip install sk-prnet\[images\]"):
        BatchAugment()
    assert make_augment(None) is None


def test_missing_kornia_raises_a_clear_import_error():
    # A fresh interpreter: `import sk_prnet.modules` must not need kornia.
    code = textwrap.dedent(
        """
        import sys
        sys.modules["kornia"] = None  # makes `import kornia` raise ImportError
        import sk_prnet.modules
        from sk_prnet.modules.augment import BatchAugment, make_augment
        assert make_augment(None) is None
        try:
            BatchAugment()
        except ImportError as exc:
            print(exc)
        else:
            raise SystemExit("no ImportError")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "pip install sk-prnet[images]" in done.stdout


# --------------------------------------------------------------------------- make_augment
def test_make_augment():
    assert make_augment(None) is None
    assert make_augment(False) is None
    for spec in (True, "paper"):
        aug = make_augment(spec)
        assert isinstance(aug, BatchAugment)
        assert repr(aug) == repr(BatchAugment(**PAPER_AUGMENT)) == repr(BatchAugment())
    aug = make_augment({"rotation": 10, "hflip": 0.0})
    assert (aug.rotation, aug.hflip, aug.zoom) == (10, 0.0, 0.15)
    custom = nn.Identity()
    assert make_augment(custom) is custom
    fn = torch.flip
    assert make_augment(fn) is fn
    with pytest.raises(ValueError, match="preset"):
        make_augment("strong")
    with pytest.raises(TypeError, match="augment must be"):
        make_augment(3)


def test_repr_shows_the_settings():
    text = repr(BatchAugment(rotation=(0, 90), zoom=0.1, hflip=0.0, p=0.8))
    assert text == (
        "BatchAugment(rotation=(0, 90), zoom=0.1, hflip=0.0, brightness=0.2, "
        "contrast=0.2, p=0.8, padding_mode='zeros')"
    )


def test_module_has_no_state_to_move():
    aug = BatchAugment()
    assert aug.to(torch.float64) is aug
    assert list(aug.parameters()) == [] and list(aug.children()) == []
