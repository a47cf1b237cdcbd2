"""The device policy of ``sk-prnet run --device`` (a pure function) and its validation."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sk_prnet.experiments.devices import check_device, parse_device, unit_device

KINDS = st.sampled_from(["deap", "seed", "regression", "images"])


@given(kind=KINDS, worker=st.integers(0, 64), count=st.integers(0, 8))
def test_auto_puts_small_nets_on_the_cpu_and_spreads_images_over_the_gpus(kind, worker, count):
    device = unit_device("auto", kind, worker, count)
    if kind != "images" or count == 0:
        assert device == "cpu"
    else:
        index = int(device.split(":")[1])
        assert 0 <= index < count and (worker - index) % count == 0


@given(kind=KINDS, worker=st.integers(0, 64), count=st.integers(0, 8),
       requested=st.sampled_from(["cpu", "cuda", "cuda:0", "cuda:3"]))  # fmt: skip
def test_an_explicit_device_overrides_the_policy(kind, worker, count, requested):
    assert unit_device(requested, kind, worker, count) == requested


def test_parallel_image_workers_use_every_gpu():
    assert {unit_device("auto", "images", w, 2) for w in range(4)} == {"cuda:0", "cuda:1"}


@pytest.mark.parametrize("text", ["gpu", "cuda:", "cuda:-1", "cuda:a", "cpu:0", ""])
def test_malformed_devices_are_refused(text):
    with pytest.raises(ValueError, match="use auto, cpu, cuda or cuda:N"):
        parse_device(text)


def test_devices_the_machine_lacks_are_refused():
    check_device("cpu", 0)
    check_device("cuda:1", 2)
    with pytest.raises(ValueError, match="not available here"):
        check_device("cuda", 0)
    with pytest.raises(ValueError, match=r"has 2 CUDA device\(s\), cuda:0 to cuda:1"):
        check_device("cuda:2", 2)
