"""The paper's analysis: accuracies, confusions, per-group improvements, filter responses."""
