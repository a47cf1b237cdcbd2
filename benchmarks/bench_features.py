"""Benchmark of the EEG spectral feature transformers on one DEAP-sized subject.

Run by hand (results go in docs/performance_features.md)::

    .venv/bin/pip install -e ".[bench]"     # mne-features, for the comparison
    .venv/bin/python benchmarks/bench_features.py

What is measured (medians over ``--repeats`` runs, all variants interleaved in each repeat so
that machine load affects them alike):

1. ``BandPower`` against mne-features' ``pow_freq_bands`` (Welch PSD, same 1 s segments with
   50 % overlap) on the same 1200 windows, called the fastest way we found: a loop over
   windows (``compute_pow_freq_bands`` takes one (n_channels, n_times) window), and, for
   reference, ``extract_features`` (which loops over windows internally). Target: >= 10x.
2. All three features (``BandPower + PowerAsymmetry + DifferentialEntropy``), computed as a
   user should, through the shared-spectrum ``SpectralFeatures``, against one bare vectorised
   ``scipy.signal.welch`` call on the same array. Target: <= 2x. The three separate
   transformers (three spectra) are timed too, for information.
3. Peak memory (``ru_maxrss``) of running the full 32-subject synthetic DEAP through the
   three features, one subject at a time, in a fresh subprocess (or, with ``--memory-only``,
   in this process). Target: <= 2 GB.

By default BLAS is limited to one thread (threadpoolctl), so every contender runs on one core;
``--threads 0`` leaves the libraries' defaults.
"""

import argparse
import datetime
import os
import platform
import resource
import subprocess
import sys
import time

import numpy as np

SFREQ = 128
N_TRIALS, N_CHANNELS, N_SAMPLES = 40, 32, 8064  # one DEAP subject (63 s per trial)
BASELINE = 3 * SFREQ  # DEAP trials start with a 3 s baseline, dropped before windowing
WINDOW = 2.0  # seconds -> 30 windows per 60 s trial, 1200 per subject


def subject_windows(seed):
    """Random float32 data of one DEAP subject cut into 2 s windows: (1200, 32, 256)."""
    from sk_prnet.eeg import sliding_windows

    rng = np.random.default_rng(seed)
    trials = rng.standard_normal((N_TRIALS, N_CHANNELS, N_SAMPLES), dtype=np.float32)
    trials *= 20.0  # microvolt-ish amplitude
    windows, _ = sliding_windows(trials[:, :, BASELINE:], SFREQ, window=WINDOW)
    return windows


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def fmt_ms(seconds):
    return f"{1e3 * seconds:9.1f} ms"


def run_timings(repeats, skip_mne):
    import scipy.signal

    from sk_prnet.eeg import (
        PAPER_BANDS,
        BandPower,
        DifferentialEntropy,
        PowerAsymmetry,
        SpectralFeatures,
        make_deap_features,
    )

    X = subject_windows(0)
    print(f"windows: {X.shape} {X.dtype} ({X.nbytes / 2**20:.1f} MiB)")

    contenders = {
        "BandPower": lambda: BandPower(SFREQ).fit_transform(X),
        "make_deap_features (psd+psa)": lambda: make_deap_features().fit_transform(X),
        "SpectralFeatures psd+psa+de": lambda: SpectralFeatures(
            SFREQ, kinds=("psd", "psa", "de")
        ).fit_transform(X),
        "3 separate transformers": lambda: (
            BandPower(SFREQ).fit_transform(X),
            PowerAsymmetry(SFREQ).fit_transform(X),
            DifferentialEntropy(SFREQ).fit_transform(X),
        ),
        "scipy.signal.welch (bare)": lambda: scipy.signal.welch(
            X, fs=SFREQ, window="hann", nperseg=SFREQ, noverlap=SFREQ // 2, axis=-1
        ),
    }

    mne_status = "skipped (--skip-mne)"
    if not skip_mne:
        try:
            import mne_features
            from mne_features.feature_extraction import extract_features
            from mne_features.univariate import compute_pow_freq_bands
        except Exception as exc:  # report exactly why, keep benchmarking the rest
            mne_status = f"NOT AVAILABLE: {type(exc).__name__}: {exc}"
        else:
            mne_status = f"mne-features {mne_features.__version__}"
            freq_bands = {name: list(edges) for name, edges in PAPER_BANDS.items()}
            # Same Welch segments as ours: 128 samples, 64 overlap, no zero padding.
            psd_params = {"welch_n_fft": 128, "welch_n_per_seg": 128, "welch_n_overlap": 64}

            def mne_loop():
                return np.stack(
                    [
                        compute_pow_freq_bands(
                            float(SFREQ),
                            w,
                            freq_bands=freq_bands,
                            normalize=False,
                            log=True,
                            psd_method="welch",
                            psd_params=psd_params,
                        )
                        for w in X
                    ]
                )

            def mne_extract():
                return extract_features(
                    X,
                    float(SFREQ),
                    ["pow_freq_bands"],
                    funcs_params={
                        "pow_freq_bands__freq_bands": freq_bands,
                        "pow_freq_bands__normalize": False,
                        "pow_freq_bands__log": True,
                        "pow_freq_bands__psd_method": "welch",
                        "pow_freq_bands__psd_params": psd_params,
                    },
                    n_jobs=1,
                )

            contenders["mne-features loop over windows"] = mne_loop
            contenders["mne-features extract_features"] = mne_extract

            # Sanity: both compute Welch band power of the same windows. mne-features sums
            # the bins of a closed band [lo, hi] with a Hamming window and reports dB, so the
            # values differ by per-band offsets; across windows each feature must co-vary.
            ours = BandPower(SFREQ).fit_transform(X[:200])
            theirs = np.stack(
                [
                    compute_pow_freq_bands(
                        float(SFREQ), w, freq_bands=freq_bands, normalize=False, log=True,
                        psd_params=psd_params,
                    )
                    for w in X[:200]
                ]
            )  # fmt: skip
            r = [np.corrcoef(ours[:, j], theirs[:, j])[0, 1] for j in range(ours.shape[1])]
            print(
                "sanity: per-feature correlation (over 200 windows) of our log band power "
                f"with mne-features': median {np.median(r):.3f}, min {np.min(r):.3f}"
            )
    print(f"comparison library: {mne_status}")

    for fn in contenders.values():  # warm-up (imports, FFT plans, numba compilation)
        fn()
    times = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            times[name].append(timed(fn))
    med = {name: float(np.median(t)) for name, t in times.items()}

    print(f"\nmedian / min over {repeats} interleaved repeats, 1200 windows x 32 ch x 256:")
    for name, t in times.items():
        print(f"  {name:34s} {fmt_ms(np.median(t))}  (min {fmt_ms(np.min(t)).strip()})")

    print("\nratios of medians:")
    welch = med["scipy.signal.welch (bare)"]
    if "mne-features loop over windows" in med:
        best_mne = min(med["mne-features loop over windows"], med["mne-features extract_features"])
        print(
            f"  BandPower speed-up vs mne-features (fastest invocation): "
            f"{best_mne / med['BandPower']:.1f}x  (target >= 10x)"
        )
        print(
            "  BandPower speed-up vs mne-features extract_features:     "
            f"{med['mne-features extract_features'] / med['BandPower']:.1f}x"
        )
    print(
        "  psd+psa+de (SpectralFeatures) / bare scipy welch:         "
        f"{med['SpectralFeatures psd+psa+de'] / welch:.2f}x  (target <= 2x)"
    )
    print(
        "  3 separate transformers / bare scipy welch:               "
        f"{med['3 separate transformers'] / welch:.2f}x"
    )
    print(
        "  make_deap_features (230 features) / bare scipy welch:     "
        f"{med['make_deap_features (psd+psa)'] / welch:.2f}x"
    )
    return med


def _vm_hwm_mib():
    """Peak resident set size of this process (Linux VmHWM), in MiB."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 2**10
    except OSError:
        pass
    return float("nan")


def run_memory(n_subjects):
    """All subjects through the three features, one at a time; report peak RSS."""
    from sk_prnet.eeg import SpectralFeatures

    rss_imports = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    features = []
    t0 = time.perf_counter()
    for subject in range(n_subjects):
        windows = subject_windows(1000 + subject)
        est = SpectralFeatures(SFREQ, kinds=("psd", "psa", "de"))
        features.append(est.fit_transform(windows))
        del windows
    elapsed = time.perf_counter() - t0
    features = np.concatenate(features)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    print(
        f"{n_subjects} subjects -> features {features.shape} {features.dtype} "
        f"({features.nbytes / 2**20:.0f} MiB) in {elapsed:.1f} s "
        f"({elapsed / n_subjects:.2f} s/subject incl. data generation and windowing)"
    )
    print(f"peak RSS after imports (getrusage ru_maxrss): {rss_imports:.0f} MiB")
    print(f"peak RSS overall (getrusage ru_maxrss):       {peak:.0f} MiB  (target <= 2048 MiB)")
    print(f"peak RSS overall (/proc VmHWM):               {_vm_hwm_mib():.0f} MiB")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--subjects", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads; 0 = default")
    parser.add_argument("--skip-mne", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument(
        "--memory-only", action="store_true", help="only the memory run, in this process"
    )
    args = parser.parse_args(argv)

    limiter = None
    if args.threads:
        from threadpoolctl import threadpool_limits

        limiter = threadpool_limits(args.threads)

    if args.memory_only:
        run_memory(args.subjects)
        return

    import scipy
    import sklearn

    print(f"date: {datetime.datetime.now().isoformat(timespec='seconds')}")
    print(
        f"machine: {platform.machine()} {platform.processor() or ''} "
        f"{os.cpu_count()} cores, load average {os.getloadavg()}"
    )
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, scipy "
        f"{scipy.__version__}, scikit-learn {sklearn.__version__}, BLAS threads: "
        f"{args.threads or 'default'}"
    )
    run_timings(args.repeats, args.skip_mne)

    if not args.skip_memory:
        print(f"\npeak memory, {args.subjects} synthetic DEAP subjects (fresh process):")
        # A fresh process, so that the peak is not the one of the timings above. (Its
        # ru_maxrss may still include this parent's RSS at spawn time on Linux; VmHWM does
        # not. Run with --memory-only from a shell for a clean ru_maxrss.)
        cmd = [sys.executable, __file__, "--memory-only", f"--subjects={args.subjects}"]
        cmd.append(f"--threads={args.threads}")
        subprocess.run(cmd, check=True)
    del limiter


if __name__ == "__main__":
    main()
