"""sk_prnet: the Pairwise Ranking Network (PRNet) for affect recognition, for scikit-learn."""

__version__ = "0.1.0.dev0"
