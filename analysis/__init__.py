"""What a run means: statistics, sensitivity analysis, network metrics, figures and reports."""
