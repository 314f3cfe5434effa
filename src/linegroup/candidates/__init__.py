"""The model's own line candidates, cleaned of what is not a series.

  plotarea.py  the rectangle the axes enclose: tick labels and titles lie outside it
  marks.py     legend swatches and tick marks; grid and axis rulings
  strays.py    after grouping: stray pieces far from their line, groups that are rulings
Given candidates (the user's) are used as they are.
"""
