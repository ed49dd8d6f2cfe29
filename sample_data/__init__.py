"""Deterministic sample data for Dalad Banner (达拉特旗): areas, departments and members.

Run ``python -m sample_data.generate`` to rebuild the committed files; see ``README.md``.
"""
