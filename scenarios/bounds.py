"""Declared bounds on the size of what a user can ask for, checked before any work starts.

None of these numbers comes from the literature: each is a declared limit that keeps a mistake
(an extra zero, ``1e308``) from exhausting the machine, set well above any sensible use, with its
reasoning beside it. Raising one is a one-line change here; every check reads these names.
"""

from __future__ import annotations

# Firms in one park, named firms and generated groups together, and the largest ``n_firms`` of
# the synthetic and regional generators. 200,000 firms covers a large industrial region (the
# regional generator's use; issue 18 asks for it). The market kernel's memory grows about
# linearly with firms, so this stays within a laptop's memory.
MAX_FIRMS = 200_000

# Months in one run: 1,200 is a century. The longest-lived park on record (Kalundborg, whose
# first exchange dates from 1961; Jacobsen 2006, J. Ind. Ecol. 10(1-2)) is about 60 years old.
MAX_STEPS = 1_200

# Runs in one experiment (scenarios or design points times replications). At a fraction of a
# second to seconds per run this is days of a cluster; more is a mistyped count.
MAX_RUNS = 1_000_000

# A firm's size multiplies the per-firm quantities of its sector (a size-1 firm is the sector's
# median firm). 10,000 times the median covers the largest plants next to small workshops.
MAX_FIRM_SIZE = 10_000.0

# Spread (sigma of the log) of generated firm sizes: 3 already puts the 99th percentile
# about 1,000 times above the median.
MAX_SIZE_SIGMA = 3.0

# Distances in a park file (radii, town radius, group centres): 1,000 km spans a large country;
# an industrial park or region is far smaller.
MAX_DISTANCE_KM = 1_000.0

# Relative weights in a sector mix, and the town mix concentration: only ratios matter, so any
# weight above this is a typing mistake rather than a mix.
MAX_WEIGHT = 1e6
