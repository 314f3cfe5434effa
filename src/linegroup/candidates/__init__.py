"""The model's own line candidates, cleaned of what is not a series.

  plotarea.py  the rectangle the axes enclose, or the plot panel: tick labels and titles lie outside it
  marks.py     legend swatches and tick marks; grid and axis rulings
  strays.py    after grouping: stray pieces far from their line, groups that are rulings
  series.py    after grouping: a learned judge of which groups are data series
Given candidates (the user's) are used as they are.
"""
