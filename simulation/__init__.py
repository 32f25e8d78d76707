"""How a run happens: the Mesa model, the market kernel, indicators and ``run_model``."""
