"""Real, public data sets with an ordinal or continuous target, read from files that ship
inside PyPI wheels (no network at run time).

Each loader returns ``(X, y, description)`` with ``X`` a float64 array (categoricals one-hot
encoded, rows with missing values dropped), ``y`` a float64 vector and a one-line
description. ``groups`` (for group-aware folds) come from :func:`load_groups`.

Packages (install with ``pip install --no-deps``; pingouin is read without importing it,
so its heavy dependencies are not needed):

* scikit-learn: ``diabetes`` (already used in docs/when_ranking_helps.md);
* scikit-lego 0.9.10 (``sklego/data/abalone.zip``): ``abalone``;
* vega_datasets 0.9.0 (``_data/cars.json``, ``_data/seattle-weather.csv``): ``cars``,
  ``weather``;
* palmerpenguins 0.1.6 (``data/penguins.csv``): ``penguins``;
* pingouin 0.7.0 (``datasets/pairwise_corr.csv``, ``datasets/rm_anova.csv``): ``bigfive``,
  ``insects``.
"""

import importlib.util
import os

import numpy as np
import pandas as pd

__all__ = ["DATASETS", "load", "load_groups"]


def _package_file(package, *parts):
    """Path of a data file inside an installed package, without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"{package} is not installed: pip install --no-deps {package}")
    return os.path.join(spec.submodule_search_locations[0], *parts)


def _frame(df, target, categorical=()):
    df = df.dropna()
    y = df[target].to_numpy(dtype=np.float64)
    X = pd.get_dummies(df.drop(columns=[target]), columns=list(categorical), drop_first=False)
    return X.to_numpy(dtype=np.float64), y, df


def load_diabetes():
    from sklearn.datasets import load_diabetes as sk

    X, y = sk(return_X_y=True)
    return X, y, "sklearn diabetes: disease progression after one year (442 patients, 10 features)"


def load_abalone():
    df = pd.read_csv(_package_file("sklego", "data", "abalone.zip"))
    X, y, _ = _frame(df, "rings", ["sex"])
    return X, y, f"sklego abalone: rings (age, integer 1-29) from shell measurements ({len(y)})"


def load_cars():
    df = pd.read_json(_package_file("vega_datasets", "_data", "cars.json"))
    df = df.drop(columns=["Name"])
    df["Year"] = pd.to_datetime(df["Year"]).dt.year
    X, y, _ = _frame(df, "Miles_per_Gallon", ["Origin"])
    return X, y, f"vega cars: miles per gallon from engine, weight, year, origin ({len(y)})"


def load_weather():
    df = pd.read_csv(_package_file("vega_datasets", "_data", "seattle-weather.csv"))
    date = pd.to_datetime(df.pop("date"))
    doy = date.dt.dayofyear.to_numpy()
    angle = 2 * np.pi * doy / 365.25  # season as a point on the circle
    df["doy_sin"], df["doy_cos"] = np.sin(angle), np.cos(angle)
    df["year"] = date.dt.year
    X, y, _ = _frame(df, "temp_max", ["weather"])
    return X, y, f"vega seattle-weather: daily max temperature 2012-2015 ({len(y)})"


def load_penguins():
    df = pd.read_csv(_package_file("palmerpenguins", "data", "penguins.csv"))
    X, y, _ = _frame(df, "body_mass_g", ["species", "island", "sex"])
    return X, y, f"palmerpenguins: body mass from bill, flipper, species, island, sex ({len(y)})"


def load_bigfive():
    df = pd.read_csv(_package_file("pingouin", "datasets", "pairwise_corr.csv"))
    X, y, _ = _frame(df.drop(columns=["Subject"]), "Neuroticism")
    return X, y, f"pingouin Big Five: neuroticism (Likert mean) from the other four ({len(y)})"


def _insects_frame():
    return pd.read_csv(_package_file("pingouin", "datasets", "rm_anova.csv")).dropna()


def load_insects():
    df = _insects_frame()
    X, y, _ = _frame(
        df.drop(columns=["Subject"]), "DesireToKill",
        ["Gender", "Region", "Education", "Disgustingness", "Frighteningness"],
    )  # fmt: skip
    return X, y, (
        f"pingouin rm_anova (Ryan et al. 2013): desire-to-kill rating 0-10 of insects by "
        f"disgust/fright level and rater ({len(y)} ratings, {df['Subject'].nunique()} raters)"
    )


DATASETS = {
    "diabetes": load_diabetes,
    "abalone": load_abalone,
    "cars": load_cars,
    "penguins": load_penguins,
    "bigfive": load_bigfive,
    "insects": load_insects,
    "weather": load_weather,
}


def load(name):
    """``(X, y, description)`` of the data set ``name`` (a key of :data:`DATASETS`)."""
    if name not in DATASETS:
        raise ValueError(f"Unknown data set {name!r}; choose from {sorted(DATASETS)}.")
    return DATASETS[name]()


def load_groups(name):
    """Group ids for group-aware folds (raters of ``insects``), else ``None``."""
    if name == "insects":
        return _insects_frame()["Subject"].to_numpy()
    return None
