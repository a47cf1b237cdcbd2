"""Tests of the AffectNet loader and the synthetic AffectNet writer, on tiny real files."""

import ast
import inspect
import re
import shutil
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from sk_prnet.datasets import DatasetFormatError, load_affectnet, make_synthetic_affectnet
from sk_prnet.datasets import affectnet as affectnet_module
from sk_prnet.datasets import synthetic_faces as synthetic_module
from sk_prnet.datasets.affectnet import AFFECTNET_COLUMNS

Image = pytest.importorskip("PIL.Image")

SIZE = 32
IMAGES = "Manually_Annotated_Images"


@pytest.fixture(scope="module")
def synthetic_root(tmp_path_factory):
    """A pristine synthetic AffectNet (never loaded from: copy it with ``fresh``)."""
    d = tmp_path_factory.mktemp("affectnet_src")
    return make_synthetic_affectnet(
        d, n=30, n_validation=10, image_size=64, random_state=0, uncertain_fraction=0.2
    )


@pytest.fixture
def root(synthetic_root, tmp_path):
    """A private copy of the synthetic AffectNet, free to damage."""
    return shutil.copytree(synthetic_root, tmp_path / "affectnet")


def load(root, **kwargs):
    kwargs.setdefault("size", SIZE)
    kwargs.setdefault("progress", False)
    return load_affectnet(root, **kwargs)


def cache_files(cache_dir, split="training", size=SIZE):
    stem = cache_dir / f"affectnet_{split}_{size}"
    return {k: stem.with_name(stem.name + ext) for k, ext in [("npy", ".npy"), ("json", ".json")]}


def reference_face(path, box, size):
    """An independent Pillow crop (box clipped to the image) and bilinear resize, (3, s, s)."""
    with Image.open(path) as img:
        img = img.convert("RGB")
        x, y, w, h = box
        clipped = (max(0, x), max(0, y), min(img.width, x + w), min(img.height, y + h))
        face = img.crop(clipped).resize((size, size), Image.Resampling.BILINEAR)
    return np.asarray(face).transpose(2, 0, 1)


# --------------------------------------------------------------------------------------------
# Synthetic writer
# --------------------------------------------------------------------------------------------
def test_synthetic_layout(synthetic_root):
    for split, n in (("training", 30), ("validation", 10)):
        df = pd.read_csv(synthetic_root / f"{split}.csv")
        assert list(df.columns) == list(AFFECTNET_COLUMNS) and len(df) == n
        assert df["expression"].between(0, 10).all()
        for rel, marks in zip(df["subDirectory_filePath"], df["facial_landmarks"]):
            assert len([float(v) for v in marks.split(";")]) == 136
            with Image.open(synthetic_root / IMAGES / rel) as img:
                assert img.format == "JPEG" and img.size == (64, 64)
        uncertain = df["valence"] == -2
        assert (uncertain == (df["arousal"] == -2)).all()
        assert df.loc[uncertain, "expression"].isin([9, 10]).all()
        assert df.loc[~uncertain, ["valence", "arousal"]].abs().le(1).all().all()
        boxes = df[["face_x", "face_y", "face_width", "face_height"]].to_numpy()
        assert (boxes[:, :2] >= 0).all() and (boxes[:, 0] + boxes[:, 2] <= 64).all()
        assert (boxes[:, 1] + boxes[:, 3] <= 64).all()
    assert (pd.read_csv(synthetic_root / "training.csv")["valence"] == -2).sum() > 0


def test_synthetic_is_deterministic(tmp_path):
    kw = dict(n=5, n_validation=2, image_size=(48, 40), random_state=3)
    a, b = (
        make_synthetic_affectnet(tmp_path / "a", **kw),
        make_synthetic_affectnet(tmp_path / "b", **kw),
    )
    c = make_synthetic_affectnet(tmp_path / "c", **dict(kw, random_state=4))
    for split in ("training", "validation"):
        assert (a / f"{split}.csv").read_bytes() == (b / f"{split}.csv").read_bytes()
        assert (a / f"{split}.csv").read_bytes() != (c / f"{split}.csv").read_bytes()
    files = sorted(p.relative_to(a) for p in (a / IMAGES).rglob("*.jpg"))
    assert len(files) == 7
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)
    with Image.open(a / files[0]) as img:
        assert img.size == (48, 40)
    d = make_synthetic_affectnet(tmp_path / "d", **dict(kw, n_validation=0))
    assert (a / "training.csv").read_bytes() == (d / "training.csv").read_bytes()
    with pytest.raises(ValueError, match="image_size"):
        make_synthetic_affectnet(tmp_path / "e", image_size=16)


# --------------------------------------------------------------------------------------------
# Loader: contents, crop
# --------------------------------------------------------------------------------------------
def test_shapes_dtypes_and_labels(root):
    df = pd.read_csv(root / "training.csv")
    keep = df[(df["valence"] != -2) & (df["arousal"] != -2)]
    b = load(root)
    n = len(keep)
    assert 0 < n < len(df) and b.n_uncertain == len(df) - n
    assert isinstance(b.images, np.memmap) and b.images.dtype == np.uint8
    assert b.images.shape == (n, 3, SIZE, SIZE) and not b.images.flags.writeable
    assert b.y.dtype == np.float32 and b.y.shape == (n, 2)
    assert b.target_names == ["arousal", "valence"]
    np.testing.assert_allclose(b.y, keep[["arousal", "valence"]].to_numpy(np.float32))
    np.testing.assert_array_equal(b.expression, keep["expression"])
    np.testing.assert_array_equal(b.paths, keep["subDirectory_filePath"])
    np.testing.assert_array_equal(b.csv_row, keep.index)
    assert b.skipped == [] and "AffectNet" in b.DESCR
    assert b.cache_path.startswith(str(root / ".sk_prnet_cache"))
    # every image equals an independent Pillow crop + resize of its face box (JPEG: no draft
    # at this scale, so the result is exact)
    for i in (0, n - 1):
        row = keep.iloc[i]
        box = tuple(int(row[c]) for c in ("face_x", "face_y", "face_width", "face_height"))
        ref = reference_face(root / IMAGES / row["subDirectory_filePath"], box, SIZE)
        np.testing.assert_array_equal(b.images[i], ref)
    v = load(root, split="validation")
    assert v.images.shape[1:] == (3, SIZE, SIZE) and v.split == "validation"


def write_dataset(root, rows, header=True, name="training.csv", encoding="utf-8"):
    cols = list(AFFECTNET_COLUMNS)
    df = pd.DataFrame(rows, columns=cols)
    df.to_csv(root / name, index=False, header=header, encoding=encoding)


def row(rel, box, valence=0.5, arousal=0.25, expression=1):
    return (rel, *box, "1.0;2.0", expression, valence, arousal)


def test_crop_of_a_planted_pattern(tmp_path):
    (tmp_path / IMAGES / "7").mkdir(parents=True)
    rng = np.random.default_rng(0)
    canvas = rng.integers(0, 256, (60, 90, 3), dtype=np.uint8)  # noisy background
    canvas[10:40, 20:44] = [255, 0, 0]  # face box x=20, y=10, w=24, h=30: red left half,
    canvas[10:40, 32:44] = [0, 0, 255]  # blue right half
    Image.fromarray(canvas).save(tmp_path / IMAGES / "7" / "a.png")
    big = np.zeros((640, 640, 3), np.uint8)
    big[100:500, 120:520] = 200  # a 400 x 400 grey face with a dark top half
    big[100:300, 120:520] = 40
    Image.fromarray(big).save(tmp_path / IMAGES / "7" / "b.jpg", quality=95)
    write_dataset(
        tmp_path,
        [
            row("7/a.png", (20, 10, 24, 30)),
            row("7/a.png", (70, -5, 40, 30)),  # sticks out right and top: clipped
            row("7/b.jpg", (120, 100, 400, 400)),  # large JPEG: decoded at reduced scale
        ],
    )
    b = load(tmp_path, size=16)
    red_blue = b.images[0].astype(int)
    assert (red_blue[0, :, :7] == 255).all() and (red_blue[2, :, :7] == 0).all()
    assert (red_blue[2, :, -7:] == 255).all() and (red_blue[0, :, -7:] == 0).all()
    np.testing.assert_array_equal(
        b.images[0], reference_face(tmp_path / IMAGES / "7/a.png", (20, 10, 24, 30), 16)
    )
    np.testing.assert_array_equal(
        b.images[1], reference_face(tmp_path / IMAGES / "7/a.png", (70, -5, 40, 30), 16)
    )
    ref = reference_face(tmp_path / IMAGES / "7/b.jpg", (120, 100, 400, 400), 16).astype(int)
    assert np.abs(b.images[2].astype(int) - ref).mean() < 3
    assert b.images[2, :, :6].max() < 60 and b.images[2, :, 10:].min() > 180


# --------------------------------------------------------------------------------------------
# Cache
# --------------------------------------------------------------------------------------------
def test_cache_is_reused(root):
    first = load(root)
    files = cache_files(root / ".sk_prnet_cache")
    stamp = files["npy"].stat().st_mtime_ns
    (root / IMAGES / first.paths[0]).unlink()  # decoding again would now fail
    second = load(root)
    np.testing.assert_array_equal(second.images, first.images)
    np.testing.assert_array_equal(second.y, first.y)
    assert files["npy"].stat().st_mtime_ns == stamp


def test_cache_rebuilt_when_csv_changes(root):
    first = load(root)
    df = pd.read_csv(root / "training.csv")
    i = df.index[df["valence"] != -2][0]
    df.loc[i, "valence"] = -0.125
    df.to_csv(root / "training.csv", index=False)
    second = load(root)
    assert second.y[0, 1] == np.float32(-0.125) and first.y[0, 1] != second.y[0, 1]
    np.testing.assert_array_equal(second.images, first.images)
    (root / IMAGES / first.paths[0]).unlink()  # proves the next build decodes again
    df.loc[i, "valence"] = 0.25
    df.to_csv(root / "training.csv", index=False)
    with pytest.raises(FileNotFoundError, match=str(first.paths[0])):
        load(root)


def test_cache_per_size(root):
    a = load(root)
    b = load(root, size=16)
    assert a.images.shape[2:] == (32, 32) and b.images.shape[2:] == (16, 16)
    assert cache_files(root / ".sk_prnet_cache", size=16)["npy"].is_file()
    (root / IMAGES / a.paths[0]).unlink()
    with pytest.raises(FileNotFoundError):
        load(root, size=24)  # a new size decodes (and the file is gone)
    assert load(root).images.shape == a.images.shape  # the others are still cached


def test_incomplete_cache_is_rebuilt(root, tmp_path):
    cache = tmp_path / "elsewhere"
    first = load(root, cache_dir=cache)
    files = cache_files(cache)
    assert not (root / ".sk_prnet_cache").exists()
    files["json"].unlink()  # as if the build was killed before the manifest was written
    stamp = files["npy"].stat().st_mtime_ns
    np.testing.assert_array_equal(load(root, cache_dir=cache).images, first.images)
    assert files["npy"].stat().st_mtime_ns != stamp
    np.save(files["npy"], np.zeros((1, 3, SIZE, SIZE), np.uint8))  # damaged data file
    np.testing.assert_array_equal(load(root, cache_dir=cache).images, first.images)
    assert not list(cache.glob("*.tmp-*"))


# --------------------------------------------------------------------------------------------
# Bad files
# --------------------------------------------------------------------------------------------
def test_missing_image_raises_or_is_skipped(root):
    df = pd.read_csv(root / "training.csv")
    keep = df[df["valence"] != -2]
    gone = list(keep["subDirectory_filePath"].iloc[[1, 4]])
    for rel in gone:
        (root / IMAGES / rel).unlink()
    with pytest.raises(FileNotFoundError, match="2 image") as err:
        load(root)
    assert gone[0] in str(err.value) and "on_error='skip'" in str(err.value)
    assert not list((root / ".sk_prnet_cache").iterdir())  # nothing half-built left
    with pytest.warns(UserWarning, match="skipped 2 row") as rec:
        b = load(root, on_error="skip")
    assert gone[0] in str(rec[0].message)
    assert len(b.y) == len(keep) - 2 and not set(gone) & set(b.paths)
    assert [p for p, _ in b.skipped] == gone
    with pytest.warns(UserWarning, match="skipped 2 row"):
        load(root, on_error="skip")  # from the cache, still reported
    with pytest.raises(FileNotFoundError):
        load(root)  # a cache with skipped rows is not good enough for on_error="raise"


def test_corrupt_image(root):
    full = load(root, cache_dir=root / "full_cache")
    bad = full.paths[2]
    (root / IMAGES / bad).write_bytes(b"this is not a JPEG" * 10)
    with pytest.raises(DatasetFormatError, match=str(bad)):
        load(root)
    with pytest.warns(UserWarning, match="skipped 1 row"):
        b = load(root, on_error="skip")
    assert len(b.paths) == len(full.paths) - 1 and bad not in set(b.paths)
    keep = full.paths != bad
    np.testing.assert_array_equal(b.images, full.images[keep])  # compacted correctly
    np.testing.assert_array_equal(b.y, full.y[keep])


def test_bad_csv(tmp_path):
    (tmp_path / IMAGES).mkdir()
    csv = tmp_path / "training.csv"
    pd.DataFrame({"subDirectory_filePath": ["1/a.jpg"], "face_x": [1], "valence": [0.1]}).to_csv(
        csv, index=False
    )
    with pytest.raises(DatasetFormatError, match="lacks the column") as err:
        load(tmp_path)
    assert str(csv) in str(err.value) and "arousal" in str(err.value)
    write_dataset(tmp_path, [row("1/a.jpg", (0, 0, 5, 5)), row("1/b.jpg", ("ten", 0, 5, 5))])
    with pytest.raises(DatasetFormatError, match="face_x") as err:
        load(tmp_path)
    assert "line 3" in str(err.value) and "'ten'" in str(err.value)
    write_dataset(tmp_path, [row("1/a.jpg", (0, 0, 5, 5), valence=1.5)])
    with pytest.raises(ValueError, match=r"valence must be in \[-1, 1\]"):
        load(tmp_path)
    write_dataset(tmp_path, [row("1/a.jpg", (0, 0, 5, 5), valence=-2)])
    with pytest.raises(DatasetFormatError, match="no row"):
        load(tmp_path)
    with pytest.raises(FileNotFoundError, match="validation.csv"):
        load(tmp_path, split="validation")


def test_other_image_modes_become_rgb(tmp_path):
    (tmp_path / IMAGES / "m").mkdir(parents=True)
    grey = np.arange(40 * 50, dtype=np.uint8).reshape(40, 50)
    Image.fromarray(grey, mode="L").save(tmp_path / IMAGES / "m" / "grey.png")
    rgba = np.dstack(
        [np.full((40, 50, 3), (10, 20, 30), np.uint8), np.full((40, 50), 128, np.uint8)]
    )
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / IMAGES / "m" / "rgba.png")
    Image.new("CMYK", (50, 40), (0, 255, 255, 0)).save(tmp_path / IMAGES / "m" / "cmyk.jpg")
    files = ["m/grey.png", "m/rgba.png", "m/cmyk.jpg"]
    write_dataset(tmp_path, [row(f, (5, 5, 30, 30)) for f in files])
    b = load(tmp_path, size=8)
    assert b.images.shape == (3, 3, 8, 8)
    for i, f in enumerate(files):
        np.testing.assert_array_equal(
            b.images[i], reference_face(tmp_path / IMAGES / f, (5, 5, 30, 30), 8)
        )
    assert (b.images[0, 0] == b.images[0, 1]).all()  # grey: R == G
    assert b.images[2, 0].mean() > 200 and b.images[2, 1].mean() < 60  # CMYK red


def test_headerless_csv_and_bad_box(tmp_path):
    (tmp_path / IMAGES / "1").mkdir(parents=True)
    Image.new("RGB", (40, 30), (0, 200, 0)).save(tmp_path / IMAGES / "1" / "a.jpg")
    rows = [row("1/a.jpg", (5, 5, 20, 20)), row("1/a.jpg", (50, 40, 10, 10))]
    write_dataset(tmp_path, rows, header=False, name="validation.csv")
    with pytest.raises(DatasetFormatError, match="does not overlap"):
        load(tmp_path, split="validation")
    with pytest.warns(UserWarning, match="skipped 1 row"):
        b = load(tmp_path, split="validation", on_error="skip")
    assert b.images.shape == (1, 3, SIZE, SIZE) and abs(int(b.images[0, 1].mean()) - 200) < 3
    write_dataset(tmp_path, rows[:1], name="training.csv", encoding="utf-8-sig")  # with a BOM
    np.testing.assert_array_equal(load(tmp_path).images, b.images)


def test_parameter_errors(root, tmp_path):
    with pytest.raises(ValueError, match="split"):
        load(root, split="test")
    with pytest.raises(ValueError, match="size"):
        load(root, size=0)
    with pytest.raises(ValueError, match="on_error"):
        load(root, on_error="ignore")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="training.csv"):
        load(tmp_path)


def test_pillow_is_optional(root, monkeypatch):
    for module in (affectnet_module, synthetic_module):
        tree = ast.parse(inspect.getsource(module))
        top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        names = [a.name for n in top for a in n.names]
        names += [n.module or "" for n in top if isinstance(n, ast.ImportFrom)]
        assert not any(x.split(".")[0] in ("PIL", "torch") for x in names)
    built = load(root, split="validation")
    monkeypatch.setitem(sys.modules, "PIL", None)
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    with pytest.raises(ImportError, match=r"sk-prnet\[images\]"):
        load(root)
    with pytest.raises(ImportError, match=r"sk-prnet\[images\]"):
        make_synthetic_affectnet(root / "new", n=1, n_validation=0)
    again = load(root, split="validation")  # a built cache needs no Pillow
    np.testing.assert_array_equal(again.images, built.images)


# --------------------------------------------------------------------------------------------
# Learnability
# --------------------------------------------------------------------------------------------
def test_valence_is_learnable_from_the_crops(tmp_path):
    from sklearn.linear_model import RidgeCV

    root = make_synthetic_affectnet(
        tmp_path, n=160, n_validation=60, image_size=64, random_state=1, uncertain_fraction=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        train, test = load(root, size=24), load(root, split="validation", size=24)

    def features(images):  # grey levels of the lower half of the face (mouth region)
        grey = images.astype(np.float32).mean(axis=1)[:, 12:, :]
        return (grey - grey.mean(axis=(1, 2), keepdims=True)).reshape(len(images), -1)

    model = RidgeCV(alphas=np.logspace(-1, 4, 11)).fit(features(train.images), train.y[:, 1])
    r = np.corrcoef(model.predict(features(test.images)), test.y[:, 1])[0, 1]
    assert r > 0.3


# --------------------------------------------------------------------------------------------
# Behaviour found untested by mutation testing (docs/testing.md)
# --------------------------------------------------------------------------------------------
def one_image(tmp_path, size=(40, 30)):
    (tmp_path / IMAGES / "1").mkdir(parents=True, exist_ok=True)
    pixels = np.arange(size[0] * size[1] * 3, dtype=np.uint8).reshape(size[1], size[0], 3)
    Image.fromarray(pixels).save(tmp_path / IMAGES / "1" / "a.png")
    return "1/a.png"


def test_size_and_parameters_are_checked_exactly(tmp_path):
    rel = one_image(tmp_path)
    write_dataset(tmp_path, [row(rel, (0, 0, 10, 10))])
    for size in (True, 2.0, "8", -1):
        with pytest.raises(ValueError, match=rf"size must be a positive int.*got {size!r}\."):
            load(tmp_path, size=size)
    b = load(tmp_path, size=np.int16(1))
    assert b.images.shape == (1, 3, 1, 1) and type(b.size) is int and b.size == 1
    with pytest.raises(ValueError, match=r"split must be one of \('training', 'validation'\)"):
        load(tmp_path, split="Training")
    with pytest.raises(ValueError, match=r"on_error must be one of \('raise', 'skip'\), got 'x'"):
        load(tmp_path, on_error="x")


def test_face_boxes_are_rounded_and_clipped_to_the_image(tmp_path):
    rel = one_image(tmp_path)  # 40 x 30 pixels
    boxes = [(2.6, 3.4, 9.8, 10.2), (-3, -4, 13, 14), (35.2, 25, 10, 10), (0, 0, 40, 30)]
    write_dataset(tmp_path, [row(rel, box) for box in boxes])
    b = load(tmp_path, size=4)
    with Image.open(tmp_path / IMAGES / rel) as img:
        img = img.convert("RGB")
        for i, box in enumerate(
            [(3, 3, 12, 14), (0, 0, 10, 10), (35, 25, 40, 30), (0, 0, 40, 30)]
        ):
            ref = np.asarray(img.crop(box).resize((4, 4), Image.Resampling.BILINEAR))
            np.testing.assert_array_equal(b.images[i], ref.transpose(2, 0, 1))


@pytest.mark.parametrize(
    "box, shown",
    [
        ((40, 0, 5, 5), "x=40, y=0, width=5, height=5"),  # starts at the right edge
        ((0, 30, 5, 5), "x=0, y=30, width=5, height=5"),  # starts at the bottom edge
        ((-5, 0, 5, 5), "x=-5"),  # ends at the left edge
        ((0, -5, 5, 5), "y=-5"),  # ends at the top edge
        ((3, 3, 0.4, 5), "width=0.4"),  # rounds to an empty box
    ],
)
def test_a_face_box_outside_the_image_is_refused(tmp_path, box, shown):
    rel = one_image(tmp_path)
    write_dataset(tmp_path, [row(rel, box)])
    match = rf"face box \(.*{shown}.*\) does not overlap the 40x30 image"
    with pytest.raises(DatasetFormatError, match=match):
        load(tmp_path)


def test_csv_errors_name_the_lines_and_the_values(tmp_path):
    rel = one_image(tmp_path)
    good = row(rel, (0, 0, 10, 10))
    rows = [good] + [row(rel, (0, 0, 10, 10), arousal=a) for a in ("", "x", "nan", "inf")]
    write_dataset(tmp_path, rows)
    with pytest.raises(DatasetFormatError) as info:
        load(tmp_path)
    msg = str(info.value)
    csv = repr(str(tmp_path / "training.csv"))
    assert msg.startswith(f"{csv} has empty or non-numeric values")
    assert "['arousal']" in msg and "line 3: ''" in msg and "line 4: 'x'" in msg
    assert "line 5: ''" in msg and "(4 bad values)" in msg and "line 6" not in msg
    write_dataset(tmp_path, rows[:3], header=False)  # without a header, lines start at 1
    with pytest.raises(DatasetFormatError, match=r"arousal \(line 2: '', line 3: 'x'\)") as info:
        load(tmp_path)
    assert "bad values" not in str(info.value)
    write_dataset(tmp_path, [good, (" ", *good[1:]), good, ("", *good[1:])])
    with pytest.raises(
        DatasetFormatError, match=r"empty subDirectory_filePath on line\(s\) \[3, 5\]"
    ) as info:
        load(tmp_path)
    assert str(info.value).startswith(f"{csv} has an empty")
    rows = [good, row(rel, (0, 0, 10, 10), arousal=-1.5), row(rel, (0, 0, 10, 10), arousal=7)]
    for header, line in ((False, 2), (True, 3)):
        write_dataset(tmp_path, rows, header=header)
        match = rf"arousal must be .* line {line} holds \S*-1\.5\S* \(2 such"
        with pytest.raises(DatasetFormatError, match=match) as info:
            load(tmp_path)
        assert str(info.value).startswith(f"{csv}: arousal")


def test_boundary_ratings_are_kept_and_only_minus_two_is_dropped(tmp_path):
    rel = one_image(tmp_path)
    ratings = [(-1, 1), (1, -1), (-2, 0.5), (0.5, -2), (-2, -2), (0, 0)]
    write_dataset(tmp_path, [row(rel, (0, 0, 10, 10), valence=v, arousal=a) for v, a in ratings])
    b = load(tmp_path, size=4)
    np.testing.assert_array_equal(b.csv_row, [0, 1, 5])
    np.testing.assert_array_equal(b.y, np.float32([[1, -1], [-1, 1], [0, 0]]))
    assert b.n_uncertain == 3


def test_csv_layouts(tmp_path):
    rel = one_image(tmp_path)
    with open(tmp_path / "training.csv", "w") as f:  # padded names, no landmarks, new order
        f.write(
            " valence ,subDirectory_filePath, face_x,face_y,face_width,face_height,"
            "expression,arousal\n"
        )
        f.write(f"0.5,{rel},0,0,10,10,3,-0.25\n")
    b = load(tmp_path, size=4)
    np.testing.assert_array_equal(b.y, np.float32([[-0.25, 0.5]]))
    assert b.expression.tolist() == [3] and b.paths.tolist() == [rel]
    csv = re.escape(repr(str(tmp_path / "training.csv")))
    (tmp_path / "training.csv").write_text("\n\n")
    with pytest.raises(DatasetFormatError, match=rf"^{csv} is empty; expected an AffectNet CSV"):
        load(tmp_path)
    (tmp_path / "training.csv").write_text(f"{rel},0,0,10,10,0.5,-0.25\n")
    with pytest.raises(
        DatasetFormatError, match=rf"^{csv} has no header .* has 7 fields, expected"
    ):
        load(tmp_path)
    # an undecodable byte in the header line: read leniently, then refused by the parser
    (tmp_path / "training.csv").write_bytes(b"subDirectory_filePath,\xff\n1,1\n")
    match = rf"^Could not parse {csv} as an AffectNet CSV \(UnicodeDecodeError: "
    with pytest.raises(DatasetFormatError, match=match):
        load(tmp_path)


def test_a_foreign_or_stale_cache_is_rebuilt(tmp_path):
    rel = one_image(tmp_path)
    write_dataset(tmp_path, [row(rel, (0, 0, 10, 10)), row(rel, (10, 10, 20, 20))])
    first = load(tmp_path, size=4)
    files = cache_files(tmp_path / ".sk_prnet_cache", size=4)
    labels = files["npy"].with_name("affectnet_training_4.labels.npz")
    manifest = files["json"].read_text()

    def damaged(change):
        files["json"].write_text(manifest)
        load(tmp_path, size=4)  # a valid cache again
        stamp = files["npy"].stat().st_mtime_ns
        change()
        again = load(tmp_path, size=4)
        np.testing.assert_array_equal(again.images, first.images)
        np.testing.assert_array_equal(again.y, first.y)
        return files["npy"].stat().st_mtime_ns != stamp

    assert damaged(lambda: files["json"].write_text("[1, 2]"))  # not a dict
    assert damaged(lambda: files["json"].write_text("{not json"))
    assert damaged(lambda: files["json"].write_text(manifest.replace('"n": 2', '"n": 1')))
    assert damaged(lambda: np.savez(labels, y=first.y))  # labels without the other arrays
    assert damaged(lambda: np.savez(labels, y=first.y[:1], expression=first.expression,
                                    paths=first.paths, csv_row=first.csv_row))  # fmt: skip
    assert damaged(lambda: np.save(files["npy"], np.asarray(first.images, np.int16)))
    pickled = dict(y=first.y, expression=first.expression, csv_row=first.csv_row)
    pickled["paths"] = first.paths.astype(object)  # object arrays are pickles: never loaded
    assert damaged(lambda: np.savez(labels, **pickled))
    assert not damaged(lambda: None)  # the control: an intact cache is reused
