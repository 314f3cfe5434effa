"""Dense marker series: markers that overlap along their line read as one band, counted by its period.

    from linegroup.markers.bands import band_markers
    centres, ranges, radius = band_markers(filled, own, alpha)   # or None
    # filled: (h, w) uint8 0/1, the line's ink with enclosed regions filled; own: (h, w) 0/1,
    # the line's own pixels; alpha: (h, w) float, each pixel's share of the way from the
    # background to the line's ink; centres (n, 2) x, y in the same crop, ordered by x;
    # ranges (k, 2) the x range of each band they lie in

When a series has more points than room (50 markers of 12 px over 280 px), its markers
overlap into a continuous band: no neck parts one from the next, so the blob and template
steps of the marker stage (`blobs.py`, `template.py`) find none of them. The band still
shows its markers in its outline: each marker bulges the band's upper and lower edges
once, so the edges are periodic in x with the markers' spacing (diamonds zig-zag, discs
scallop, squares on a slope make stairs), and so is the ink in each column (a hollow
marker's outline). Per line:
1. The bands: the ink's connected pieces that hold the line's own pixels, and in each
   column only the run of ink through the line's path (a near-coloured series running
   beside it reads as its ink too, and would double the column's height); per column its
   depth (distance transform), top and bottom edge. The half-width r is the RADIUS_PCT
   percentile of the column depths, MIN_RADIUS to MAX_RADIUS px. A band is a run of
   columns at least DEEP_SHARE x r deep (gaps of GAP_BRIDGE px bridged), LONG_RUN radii
   long or more: the whole line for a dense series, the flat stretches of a step line
   whose markers crowd there, the part of a line not run into by another. At least
   COVER of a band's columns must be of its usual height (BAND_SPREAD); those that are
   not (another line's ink, or the line's own riser, running into the band) are left out
   of the signals.
2. The period, one for the line's bands: three signals per column (the top and bottom
   edges to sub-pixel, from the rim's alpha, and the column's ink), each less its moving
   mean over about four radii (the path's own slope and bends removed), are
   autocorrelated together; the period is the shortest lag that is a local peak of at
   least MIN_AC, MIN_SWING above its least value at shorter lags (a periodic signal falls
   out of step between its peaks; a slow wander does not), and within PEAK_SHARE of the
   highest such peak. It is then refined on the peaks near 2, 4, 8, ... periods, as far as
   the longest band holds LONG_LAGS of them (a period read over 16 markers is 16 times as
   precise: a count of 50 comes out right).
3. The markers: in each band, the first and the last lie (1 - DEEP_SHARE) x r inside its
   ends (a marker is DEEP_SHARE x r deep that far from its centre, as a disc's or a
   square's columns are; a series' first and last points carry markers);
   the rest evenly between, as many as the band holds periods. Each centre's y is the
   middle of the band's edges there.
A series whose x values are uneven makes no periodic band and is left to the template
step; so is a line whose bands hold fewer than MIN_COUNT markers. `markers/__init__.py` tries a
line as bands when a quarter of its columns are deeper than a stroke (BAND_DEPTH), and in each
band takes the band's markers in place of the template's when the template found fewer
than BAND_GAIN of their number there.
"""

from __future__ import annotations

import cv2
import numpy as np

BAND_SPREAD = (0.6, 1.6)  # a band column's height is within these shares of the median height
COVER = 0.5  # share of a band's columns that are of its usual height (BAND_SPREAD)
RADIUS_PCT = 75  # the bands' half-width: this percentile of the line's column depths
DEEP_SHARE = 0.6  # a band's columns are at least this share of the half-width deep
LONG_RUN = 4.0  # radii: a band is at least this long (two markers and more; one marker is left to the template)
GAP_BRIDGE = 3  # px: gaps of up to this many shallow columns inside a band are bridged
MIN_RADIUS = 3.0  # px: the band's half-width at least this (markers of 6 px and more)
MAX_RADIUS = 12.0  # px: and at most this (a wider band is lines run together, not a marker's width)
MIN_AC = 0.35  # least autocorrelation of the edges at the period
MIN_SWING = 0.15  # and at least this much above its least value at shorter lags (not a slow wander)
PEAK_SHARE = 0.8  # the period's peak is within this share of the highest one (not a multiple of it)
MAX_PERIOD = 2.2  # radii: the longest period looked for (markers further apart leave necks between)
MIN_PERIOD = 3  # px: the shortest
LONG_LAGS = 3  # the period is refined on its multiples (2, 4, 8, ...) that fit this many times in the span
MIN_COUNT = 6  # a band of fewer markers than this is left to the template step


def band_markers(filled: np.ndarray, own: np.ndarray, alpha: np.ndarray):
    """((n, 2) centres x, y ordered by x, (k, 2) the x ranges of the bands they lie in, the
    bands' half-width) of a line's dense marker bands, or None. alpha: (h, w) float, each
    pixel's share of the way from the background to the line's ink."""
    ink = _band(filled, own)
    if ink is None:
        return None
    h = ink.shape[0]
    has = ink.any(0)
    colmax = cv2.distanceTransform(ink.astype(np.uint8), cv2.DIST_L2, 5).max(0)
    r = float(np.percentile(colmax[has], RADIUS_PCT))
    if not MIN_RADIUS <= r <= MAX_RADIUS:
        return None
    top = np.argmax(ink, 0)
    bot = h - 1 - np.argmax(ink[::-1], 0)
    height = np.where(has, bot - top + 1, 0)
    runs = _runs(has & (colmax >= DEEP_SHARE * r), int(np.ceil(LONG_RUN * r)))
    signals, spans = [], []
    for a, b in runs:
        med = float(np.median(height[a:b + 1]))
        ok = (height[a:b + 1] >= BAND_SPREAD[0] * med) & (height[a:b + 1] <= BAND_SPREAD[1] * med)  # not where
        # another line's ink (or the line's own riser) runs into the band
        if ok.mean() < COVER:
            continue
        cols = np.arange(a, b + 1)
        above = alpha[np.maximum(top[a:b + 1] - 1, 0), cols] * (top[a:b + 1] > 0)  # the rims: sub-pixel edges
        below = alpha[np.minimum(bot[a:b + 1] + 1, h - 1), cols] * (bot[a:b + 1] < h - 1)
        edge_t = _fill_gaps(top[a:b + 1] - above, ok)
        edge_b = _fill_gaps(bot[a:b + 1] + below, ok)
        mass = _fill_gaps((alpha[:, a:b + 1] * ink[:, a:b + 1]).sum(0), ok)  # a hollow marker's outline too
        window = 2 * int(round(2 * r)) + 1
        for e in (edge_t, edge_b, mass):
            res = e - _moving_mean(e, window)
            res[~ok] = 0.0
            signals.append(res)
        spans.append((a, b, _moving_mean((edge_t + edge_b) / 2, 3)))
    if not spans:
        return None
    period = _period(signals, r, max(b - a for a, b, _ in spans))
    if period is None:
        return None
    centres, ranges = [], []
    inset = (1 - DEEP_SHARE) * r  # an end marker's centre lies this far inside its band's deep columns
    for a, b, mid in spans:
        count = int(round((b - a - 2 * inset) / period)) + 1
        if count < 2:
            continue
        xs = np.linspace(a + inset, b - inset, count)
        centres.append(np.column_stack([xs, np.interp(xs - a, np.arange(len(mid)), mid)]))
        ranges.append((a, b))
    if sum(len(c) for c in centres) < MIN_COUNT:
        return None
    return np.concatenate(centres), np.array(ranges, float), r


def _runs(deep: np.ndarray, least: int) -> list:
    """[(first, last)] of the runs of True columns, gaps of up to GAP_BRIDGE bridged, at least `least` long."""
    edges = np.diff(np.concatenate([[0], deep.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)  # ends exclusive
    if len(starts) == 0:
        return []
    new = np.r_[True, starts[1:] - ends[:-1] > GAP_BRIDGE]  # a run that a wider gap sets apart
    first, last = starts[new], ends[np.r_[new[1:], True]] - 1
    return [(int(a), int(b)) for a, b in zip(first, last) if b - a + 1 >= least]


def _band(filled: np.ndarray, own: np.ndarray):
    """(h, w) bool: the pieces of the ink that hold the line's own pixels (not a grid's dashes
    nearby), and in each column only the run of ink through the line's path there (not a
    band of a near colour above or below it: its rows would double the column's height)."""
    n, lab = cv2.connectedComponents(filled, connectivity=8)
    hit = np.zeros(n, bool)
    hit[lab[own > 0]] = True
    hit[0] = False
    if not hit.any():
        return None
    ink = hit[lab]
    w = own.shape[1]
    ys, xs = np.nonzero(own)
    count = np.bincount(xs, minlength=w)
    cols = np.flatnonzero(count)
    path = np.bincount(xs, ys, w)[cols] / count[cols]  # the path's mean row in each of its columns
    path = np.rint(np.interp(np.arange(w), cols, path)).astype(np.int64)
    start = ink & ~np.vstack([np.zeros((1, w), bool), ink[:-1]])
    run = np.cumsum(start, 0, dtype=np.int32)  # per column, the number of the ink run each row is in (or follows)
    at = run[path, np.arange(w)]
    on = ink[path, np.arange(w)]  # a column whose path row is no ink (a gap, a steep stretch) holds no band
    keep = ink & (run == at[None]) & on[None]
    return keep if keep.any() else ink


def _fill_gaps(edge: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """The edge with its non-band columns filled in linearly from the band columns around them."""
    x = np.arange(len(edge))
    return np.interp(x, x[ok], edge[ok])


def _moving_mean(s: np.ndarray, window: int) -> np.ndarray:
    """Mean over a centred window (edges padded with their end values)."""
    k = window // 2
    c = np.concatenate([[0.0], np.cumsum(np.concatenate([np.full(k, s[0]), s, np.full(k, s[-1])]))])
    return (c[window:] - c[:-window]) / window


def _period(res: list, r: float, span: int):
    """The bands' period (px, sub-pixel) from their signals' residuals (each one value per
    column; span: the longest band's length), or None."""
    n = max(len(e) for e in res)
    longest = min(int(np.ceil(MAX_PERIOD * r)) + 1, n // 3)
    if longest < MIN_PERIOD + 1:
        return None
    ac = _autocorr(res, max(longest, span // LONG_LAGS) + 2)
    lags = np.arange(MIN_PERIOD, longest + 1)
    vals = ac[lags]
    peak = (vals >= ac[lags - 1]) & (vals >= ac[lags + 1]) & (vals >= MIN_AC)
    trough = np.minimum.accumulate(ac[1:longest + 1])[lags - 2]  # the least value at a shorter lag
    peak &= vals - trough >= MIN_SWING
    if not peak.any():
        return None
    best = vals[peak].max()
    q = int(lags[peak & (vals >= PEAK_SHARE * best)][0])
    period = q + _vertex(ac, q)
    m = 2
    while m * period <= span / LONG_LAGS and m * period + 0.4 * period < len(ac) - 2:
        lo, hi = int(round(m * period - 0.4 * period)), int(round(m * period + 0.4 * period))
        q = lo + int(np.argmax(ac[lo:hi + 1]))  # the peak near m periods: m times the precision
        period = (q + _vertex(ac, q)) / m
        m *= 2
    return period


def _vertex(ac: np.ndarray, q: int) -> float:
    """Sub-pixel offset (-0.5..0.5) of the peak at lag q, by a parabola through its neighbours."""
    den = ac[q - 1] - 2 * ac[q] + ac[q + 1]
    return float(np.clip(0.5 * (ac[q - 1] - ac[q + 1]) / den, -0.5, 0.5)) if den < -1e-9 else 0.0


def _autocorr(res: list, max_lag: int) -> np.ndarray:
    """Normalised autocorrelation of the signals together, lags 0..max_lag (FFT; the signals
    may differ in length: each adds its own products and energies)."""
    out = np.zeros(max_lag + 2)
    energy = np.zeros(max_lag + 2)
    lag = np.arange(max_lag + 2)
    for s in res:
        n = len(s)
        size = 1 << int(np.ceil(np.log2(2 * n)))
        f = np.fft.rfft(s, size)
        full = np.fft.irfft(f * np.conj(f), size)[:min(n, max_lag + 2)]  # lags past the signal add nothing
        out[:len(full)] += full
        c = np.concatenate([[0.0], np.cumsum(s * s)])
        k = np.minimum(lag, n)
        energy += np.sqrt(np.maximum((c[n] - c[k]) * c[n - k], 0.0))
    return np.where(energy > 1e-9, out / np.maximum(energy, 1e-9), 0.0)
