"""Test-wide settings: tiny models train fastest on one thread, and CI has two cores."""

import torch

torch.set_num_threads(1)
