"""``python -m sample_data.haibowan``."""

from sample_data.haibowan import main

main()
