"""The streaming detector: causal, bounded memory, vectorised over many series at once.

The score of point ``t`` uses only points ``< t`` (plus ``t`` itself, compared with a
forecast made before it). State per series is a handful of floats plus one daily profile of
``period`` floats. :func:`online_scores` runs the time loop once for all series together:
each step is a few dozen numpy operations over a vector of series, so 10,000 series cost
little more than one. :func:`online_scores_1d` is the same kernel on plain floats for one
series (numpy's per-call overhead would dominate there); a test keeps the two equal.

Model, per series
-----------------
* **A, level**: a Huber-clipped EWMA of the value (fast enough to follow smooth daily
  shapes); the residual scale is an EWMA of the clipped absolute residual, floored at the
  data's resolution (the smallest step seen, once ten steps were seen), so sparse counts (0, 0, 1, 0, ...) and
  quantised gauges do not make every blip an outlier.
* **B, seasonal**: the daily profile (``period`` bins, learned from deviations to a slow
  level, one update per bin per day) plus a deseasonalised Huber EWMA level, with its own
  scale. Used once two periods have been seen, when its scale is the smaller one or when it
  explains the point far better than A (``|z_B| < 0.3 |z_A|``: a recurring daily feature
  such as a nightly job is then not an anomaly).
* **Change-aware reset**: ``reset_after`` consecutive outliers of the same sign are a level
  shift; the levels jump to the mean of the run and the detector re-adapts instead of
  flagging the new level forever.
* **Drift**: the deseasonalised level is compared with a slow reference level; a gap of
  ``drift_ratio`` times the larger of the residual scale and twice the gap's own typical
  size is evidence too (so a random walk, which always wanders, is not a drift). The
  reference is reset after a report and the next report needs a larger gap (a steady trend
  is one episode).
* **Variance**: the short-run rate of ``|z| > 2`` against its own long-run rate, in
  binomial standard deviations (robust to a single spike, self-calibrating).
* **Calibration**: the series' own upper and lower 0.25 % quantiles of ``z`` are tracked
  online (stochastic quantiles, one per side so skewed latency or count series are handled);
  when one exceeds the Gaussian 2.81 the evidence on that side is divided by the ratio, so a
  heavy-tailed series needs a larger deviation for the same score.
* **Score**: ``-log10`` of the two-sided Gaussian tail probability of the evidence over 10,
  capped at 1 (0.4 at ``p = 1e-4``); after a flagged onset the score is damped for
  ``cooldown`` points so one episode gives one flag.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import log_ndtr, ndtri

__all__ = ["OnlineParams", "online_scores", "online_scores_1d"]

_SIGMA_PER_ABS = float(np.sqrt(np.pi / 2))  # E|N(0, s)| = s * sqrt(2/pi)
_LN10 = float(np.log(10.0))


@dataclass(frozen=True)
class OnlineParams:
    """Resolved parameters of the streaming kernel (see :class:`OnlineDetector`)."""

    alpha: float = 0.25
    scale_alpha: float = 0.02
    clip: float = 2.5
    z_outlier: float = 4.0
    reset_after: int = 5
    warmup: int = 30
    threshold: float = 0.4
    cooldown: int = 64
    drift_ratio: float = 3.0
    drift_alpha: float = 0.005
    rel_floor: float = 1e-4
    seasonal_rate: float = 0.15
    damping: float = 0.25  # damped scores stay below damping * threshold
    decades: float = 10.0
    season_clip: float = 10.0
    b_ratio: float = 0.3
    calibrate: bool = True
    calib_rate: float = 0.05
    calib_tail: float = 0.005
    var_ratio: float = 4.0
    var_alpha: float = 0.05
    gap_factor: float = 2.0
    gap_cap: float = 1.5
    quantum: float = 1.0


def online_scores(
    Y: np.ndarray,
    phase: np.ndarray | None,
    period: int | None,
    p: OnlineParams,
    trace: dict[str, list[np.ndarray]] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Score every point of every row of ``Y`` (series x time) causally.

    Returns ``(scores, flags)``, both of shape ``Y.shape``. NaN points score 0 and leave
    the state unchanged. ``trace``, when given, collects the levels, scales and z of every
    step (for debugging and teaching; it costs a copy per step).
    """
    Y = np.asarray(Y, dtype=np.float64)
    n, T = Y.shape
    scores = np.zeros((n, T))
    flags = np.zeros((n, T), dtype=bool)
    use_b = period is not None and period >= 2 and phase is not None
    P = int(period) if (use_b and period is not None) else 1
    rows = np.arange(n)
    LA = np.zeros(n)
    sA = np.zeros(n)
    LB = np.zeros(n)
    sB = np.zeros(n)
    Ls = np.zeros(n)
    Lref = np.zeros(n)
    S = np.zeros((P, n)) if use_b else None  # phase-major: one contiguous row per step
    mag = np.zeros(n)
    quant = np.full(n, np.inf)  # smallest non-zero step seen: the data's resolution
    x_prev = np.full(n, np.nan)
    n_steps = np.zeros(n)  # the resolution counts once 10 non-zero steps were seen
    cnt = np.zeros(n)
    run_len = np.zeros(n)
    run_sign = np.zeros(n)
    run_a = np.zeros(n)
    run_b = np.zeros(n)
    last = np.full(n, -1e18)
    q_gauss = float(-ndtri(p.calib_tail / 2.0))  # the Gaussian quantile of |z| (each side)
    q_pos = np.full(n, q_gauss)
    q_neg = np.full(n, q_gauss)
    p_short = np.full(n, 0.0455)  # P(|N(0,1)| > 2)
    gap_typ = np.zeros(n)
    p_long = np.full(n, 0.0455)
    a_slow = 2.0 / (P + 1) if use_b else 0.0
    ready_at = 2.0 * P
    W = float(max(p.warmup, 2))
    drift_on = p.drift_ratio > 0
    # |z| whose score equals the threshold: a drift gap of drift_ratio scales maps onto it
    z_thr = float(-ndtri(10.0 ** (-p.threshold * p.decades) / 2.0))
    var_k = p.var_alpha / (2.0 - p.var_alpha)  # variance factor of an EWMA of iid terms
    for t in range(T):
        x = Y[:, t]
        v = np.isfinite(x)
        if not v.all():
            x = np.where(v, x, LA)
        warm = cnt < W
        first = cnt == 0
        floor = np.maximum(
            1e-12 + p.rel_floor * mag, np.where(n_steps >= 10, p.quantum * quant, 0.0)
        )
        sAe = np.maximum(sA, floor)
        rA = x - LA
        zA = rA / sAe
        if use_b:
            ph = phase[t]  # type: ignore[index]
            Sp = S[ph, rows] if np.ndim(ph) else S[ph].copy()  # type: ignore[index]
            sBe = np.maximum(sB, floor)
            rB = x - LB - Sp
            zB = rB / sBe
            ready = cnt >= ready_at
            # B when it is the better model on average, or when it explains this point far
            # better (a recurring daily feature) -- not merely a little (that would bias z down)
            useB = ready & ((sBe < sAe) | (np.abs(zB) < p.b_ratio * np.abs(zA)))
            z = np.where(useB, zB, zA)
        else:
            z = zA
        az = np.abs(z)
        # calibration: the series' own 99th percentile of |z| (tracked online) against the
        # Gaussian one; heavy-tailed residuals need a larger |z| for the same tail probability
        calib = np.maximum(np.where(z >= 0, q_pos, q_neg) / q_gauss, 1.0) if p.calibrate else 1.0
        evidence = az / calib
        if drift_on:
            lev = np.where(ready, LB, LA) if use_b else LA
            sc = np.where(ready, sBe, sAe) if use_b else sAe
            # normalised by the larger of the residual scale and the gap's own typical size
            # (a random walk wanders far from any slow reference; that is not a drift)
            gap = np.abs(lev - Lref) / np.maximum(sc, p.gap_factor * gap_typ)
            drift_ev = gap * (z_thr / p.drift_ratio)
            drifted = (gap > p.drift_ratio) & ~warm
            drift_ok = (cnt > 2 * W) & (ready if use_b else True)
            drifted = drifted & drift_ok
            evidence = np.maximum(evidence, np.where(drift_ok, drift_ev, 0.0))
        if p.var_ratio > 0:
            # variance: short-run rate of |z| > 2 against its own long-run rate (binomial sd)
            hit = (az > 2.0).astype(np.float64)
            sd_rate = np.sqrt(var_k * p_long * (1.0 - p_long)) + 1e-3
            var_ev = (p_short - p_long) / sd_rate
            var_ok = cnt > 4 * W
            evidence = np.maximum(evidence, np.where(var_ok, var_ev * (z_thr / p.var_ratio), 0.0))
        # outlier runs -> level shifts
        out = (az > p.z_outlier) & ~warm & v
        sg = np.sign(z)
        same = out & (sg == run_sign)
        run_len = np.where(out, np.where(same, run_len + 1, 1), 0)
        run_a = np.where(out, np.where(same, run_a + rA, rA), 0)
        if use_b:
            run_b = np.where(out, np.where(same, run_b + rB, rB), 0)
        run_sign = np.where(out, sg, 0)
        shift = run_len >= p.reset_after
        # score and flag
        log10_p = (np.log(2.0) + log_ndtr(-evidence)) / _LN10
        sc_t = np.clip(-log10_p / p.decades, 0.0, 1.0)
        sc_t = np.where(warm | ~v, 0.0, sc_t)
        sc_t = np.where(t - last <= p.cooldown, sc_t * (p.damping * p.threshold), sc_t)
        fl = sc_t >= p.threshold
        last = np.where(fl, t, last)
        scores[:, t] = sc_t
        if trace is not None:
            for k, val in (("LA", LA), ("sA", sA), ("LB", LB), ("sB", sB), ("z", z)):
                trace.setdefault(k, []).append(np.copy(val))
            if use_b:
                trace.setdefault("Sp", []).append(np.copy(Sp))
                trace.setdefault("zB", []).append(np.copy(zB))
        flags[:, t] = fl
        # state updates
        inv_c = 1.0 / (cnt + 1.0)
        cA = p.clip * sAe
        incA = np.where(warm, rA * inv_c, p.alpha * np.clip(rA, -cA, cA))
        safe_len = np.maximum(run_len, 1)
        incA = np.where(shift, run_a / safe_len, incA)
        tA = np.where(warm, np.abs(rA), np.minimum(np.abs(rA), p.z_outlier * sAe)) * _SIGMA_PER_ABS
        # running mean until 1/scale_alpha points were seen, then the EWMA
        rate = np.maximum(1.0 / np.maximum(cnt, 1.0), p.scale_alpha)
        rate = np.where(first | shift | ~v, 0.0, rate)
        sA = sA + rate * (tA - sA)
        if use_b:
            dev = x - Ls
            inc_s = np.where(warm, dev * inv_c, a_slow * np.clip(dev, -cA, cA))
            inc_s = np.where(shift, run_a / safe_len, inc_s)
            cycles = np.floor(cnt / P)
            g = np.maximum(1.0 / (cycles + 1.0), p.seasonal_rate)
            lim = p.season_clip * sAe
            d_s = np.clip(dev - Sp, -lim, lim)
            newS = Sp + np.where(v & ~first & ~shift, g * d_s, 0.0)
            if np.ndim(ph):
                S[ph, rows] = newS  # type: ignore[index]
            else:
                S[ph] = newS  # type: ignore[index]
            cB = p.clip * sBe
            dB = x - newS - LB  # the level takes what the updated season leaves
            incB = np.where(warm, dB * inv_c, p.alpha * np.clip(dB, -cB, cB))
            incB = np.where(shift, run_b / safe_len, incB)
            tB = (
                np.where(warm, np.abs(rB), np.minimum(np.abs(rB), p.z_outlier * sBe))
                * _SIGMA_PER_ABS
            )
            rateB = np.maximum(1.0 / np.maximum(cnt, 1.0), p.scale_alpha)
            rateB = np.where(first | shift | ~v, 0.0, rateB)
            sB = sB + rateB * (tB - sB)
            LB = np.where(v, LB + incB, LB)
            Ls = np.where(v, Ls + inc_s, Ls)
        LA = np.where(v, LA + incA, LA)
        if drift_on:
            lev = np.where(cnt >= ready_at, LB, LA) if use_b else LA
            a_ref = p.drift_alpha
            # typical gap, learned with clipped steps so a drift in progress barely moves it
            sc_now = np.where(cnt >= ready_at, sB, sA) if use_b else sA
            cap = np.maximum(sc_now, p.gap_cap * gap_typ)
            tgt = np.minimum(np.abs(lev - Lref), cap)
            gap_typ = np.where(v & ~warm, gap_typ + a_ref * (tgt - gap_typ), gap_typ)
            # after a drift alarm the next one needs a larger excursion (geometric back-off,
            # so a steady trend is reported at its start, not every few dozen points)
            gap_typ = np.where(
                drifted & v, np.maximum(gap_typ, np.abs(lev - Lref) / p.gap_factor), gap_typ
            )
            new_ref = np.where(warm, lev, Lref + a_ref * (lev - Lref))
            Lref = np.where(shift | drifted | ~v, np.where(v, lev, Lref), new_ref)
        mag = np.where(v, mag + np.where(warm, inv_c, 0.01) * (np.abs(x) - mag), mag)
        step_now = np.abs(x - x_prev)
        moved = v & (step_now > 0)
        quant = np.where(moved, np.minimum(quant, step_now), quant)
        n_steps = n_steps + moved
        x_prev = np.where(v, x, x_prev)
        run_len = np.where(shift, 0, run_len)
        run_sign = np.where(shift, 0, run_sign)
        if p.var_ratio > 0:
            p_short = np.where(v, p_short + p.var_alpha * (hit - p_short), p_short)
            p_long = np.where(v & ~warm, p_long + p.drift_alpha * (hit - p_long), p_long)
        if p.calibrate:
            # one tracker per side: skewed residuals (latency, counts) get a wider upper tail
            half = p.calib_tail / 2.0
            live = ~(warm | ~v)
            up = (z > q_pos).astype(np.float64)
            q_pos = np.clip(
                q_pos + np.where(live, p.calib_rate * (up - half) * q_pos, 0.0), q_gauss * 0.8, 50.0
            )
            dn = (-z > q_neg).astype(np.float64)
            q_neg = np.clip(
                q_neg + np.where(live, p.calib_rate * (dn - half) * q_neg, 0.0), q_gauss * 0.8, 50.0
            )
        cnt = cnt + v
    return scores, flags


def _clip(x: float, lim: float) -> float:
    return -lim if x < -lim else (lim if x > lim else x)


def online_scores_1d(
    y: np.ndarray, phase: np.ndarray | None, period: int | None, p: OnlineParams
) -> tuple[np.ndarray, np.ndarray]:
    """The same kernel as :func:`online_scores` for one series, on Python floats.

    For a single series numpy's per-call overhead dominates (hundreds of tiny calls per
    point); this plain float loop computes the same numbers about 20x faster. A test
    checks that both kernels agree.
    """
    y = np.asarray(y, dtype=np.float64)
    T = y.size
    scores = np.zeros(T)
    flags = np.zeros(T, dtype=bool)
    use_b = period is not None and period >= 2 and phase is not None
    P = int(period) if (use_b and period is not None) else 1
    S = [0.0] * P
    phs = phase.tolist() if use_b else None  # type: ignore[union-attr]
    LA = sA = LB = sB = Ls = Lref = mag = cnt = 0.0
    quant = math.inf
    x_prev = math.nan
    n_steps = 0
    run_len = run_sign = run_a = run_b = 0.0
    last = -1e18
    q_gauss = float(-ndtri(p.calib_tail / 2.0))
    q_pos = q_neg = q_gauss
    p_short = p_long = 0.0455
    gap_typ = 0.0
    a_slow = 2.0 / (P + 1) if use_b else 0.0
    ready_at = 2.0 * P
    W = float(max(p.warmup, 2))
    drift_on = p.drift_ratio > 0
    z_thr = float(-ndtri(10.0 ** (-p.threshold * p.decades) / 2.0))
    var_k = p.var_alpha / (2.0 - p.var_alpha)
    sqrt2 = math.sqrt(2.0)
    damp = p.damping * p.threshold
    vals = y.tolist()
    out_s = [0.0] * T
    out_f = [False] * T
    for t in range(T):
        x = vals[t]
        v = math.isfinite(x)
        if not v:
            x = LA
        warm = cnt < W
        first = cnt == 0
        floor = 1e-12 + p.rel_floor * mag
        if n_steps >= 10 and p.quantum * quant > floor:
            floor = p.quantum * quant
        sAe = sA if sA > floor else floor
        rA = x - LA
        zA = rA / sAe
        ready = False
        rB = Sp = sBe = 0.0
        ph = 0
        if use_b:
            ph = phs[t]  # type: ignore[index]
            Sp = S[ph]
            sBe = sB if sB > floor else floor
            rB = x - LB - Sp
            zB = rB / sBe
            ready = cnt >= ready_at
            useB = ready and (sBe < sAe or abs(zB) < p.b_ratio * abs(zA))
            z = zB if useB else zA
        else:
            z = zA
        az = abs(z)
        calib = max((q_pos if z >= 0 else q_neg) / q_gauss, 1.0) if p.calibrate else 1.0
        evidence = az / calib
        drifted = False
        if drift_on:
            lev = LB if (use_b and ready) else LA
            sc = sBe if (use_b and ready) else sAe
            gap = abs(lev - Lref) / max(sc, p.gap_factor * gap_typ)
            drift_ok = cnt > 2 * W and (ready if use_b else True)
            drifted = gap > p.drift_ratio and not warm and drift_ok
            if drift_ok:
                evidence = max(evidence, gap * (z_thr / p.drift_ratio))
        hit = 0.0
        if p.var_ratio > 0:
            hit = 1.0 if az > 2.0 else 0.0
            sd_rate = math.sqrt(var_k * p_long * (1.0 - p_long)) + 1e-3
            if cnt > 4 * W:
                evidence = max(evidence, (p_short - p_long) / sd_rate * (z_thr / p.var_ratio))
        out = az > p.z_outlier and not warm and v
        sg = (z > 0) - (z < 0)
        if out:
            if sg == run_sign:
                run_len += 1
                run_a += rA
                run_b += rB
            else:
                run_len, run_a, run_b = 1.0, rA, rB
            run_sign = float(sg)
        else:
            run_len = run_a = run_b = run_sign = 0.0
        shift = run_len >= p.reset_after
        if warm or not v:
            sc_t = 0.0
        elif evidence > 8.0:
            sc_t = 1.0
        else:
            pv = math.erfc(evidence / sqrt2)
            sc_t = min(max(-math.log10(pv) / p.decades, 0.0), 1.0) if pv > 0 else 1.0
        if t - last <= p.cooldown:
            sc_t *= damp
        fl = sc_t >= p.threshold
        if fl:
            last = t
        out_s[t] = sc_t
        out_f[t] = fl
        # state updates
        inv_c = 1.0 / (cnt + 1.0)
        cA = p.clip * sAe
        if shift:
            incA = run_a / max(run_len, 1.0)
        elif warm:
            incA = rA * inv_c
        else:
            incA = p.alpha * _clip(rA, cA)
        if warm:
            tA = abs(rA) * _SIGMA_PER_ABS
            rate = 1.0 / max(cnt, 1.0)
        else:
            tA = min(abs(rA), p.z_outlier * sAe) * _SIGMA_PER_ABS
            rate = max(1.0 / max(cnt, 1.0), p.scale_alpha)
        if first or shift or not v:
            rate = 0.0
        sA = sA + rate * (tA - sA)
        if use_b:
            dev = x - Ls
            if shift:
                inc_s = run_a / max(run_len, 1.0)
            elif warm:
                inc_s = dev * inv_c
            else:
                inc_s = a_slow * _clip(dev, cA)
            g = max(1.0 / (math.floor(cnt / P) + 1.0), p.seasonal_rate)
            if v and not first and not shift:
                S[ph] = Sp + g * _clip(dev - Sp, p.season_clip * sAe)
            cB = p.clip * sBe
            dB = x - S[ph] - LB  # the level takes what the updated season leaves
            if shift:
                incB = run_b / max(run_len, 1.0)
            elif warm:
                incB = dB * inv_c
            else:
                incB = p.alpha * _clip(dB, cB)
            if warm:
                tB = abs(rB) * _SIGMA_PER_ABS
                rateB = 1.0 / max(cnt, 1.0)
            else:
                tB = min(abs(rB), p.z_outlier * sBe) * _SIGMA_PER_ABS
                rateB = max(1.0 / max(cnt, 1.0), p.scale_alpha)
            if first or shift or not v:
                rateB = 0.0
            sB = sB + rateB * (tB - sB)
            if v:
                LB += incB
                Ls += inc_s
        if v:
            LA += incA
        if drift_on:
            lev = LB if (use_b and cnt >= ready_at) else LA
            if v and not warm:
                sc_now = sB if (use_b and cnt >= ready_at) else sA
                cap = max(sc_now, p.gap_cap * gap_typ)
                gap_typ = gap_typ + p.drift_alpha * (min(abs(lev - Lref), cap) - gap_typ)
            if drifted and v:
                gap_typ = max(gap_typ, abs(lev - Lref) / p.gap_factor)
            if shift or drifted or not v:
                if v:
                    Lref = lev
            elif warm:
                Lref = lev
            else:
                Lref = Lref + p.drift_alpha * (lev - Lref)
        if v:
            mag = mag + (inv_c if warm else 0.01) * (abs(x) - mag)
            step_now = abs(x - x_prev)
            if step_now > 0:
                n_steps += 1
                if step_now < quant:
                    quant = step_now
            x_prev = x
        if shift:
            run_len = run_sign = 0.0
        if p.var_ratio > 0:
            if v:
                p_short = p_short + p.var_alpha * (hit - p_short)
            if v and not warm:
                p_long = p_long + p.drift_alpha * (hit - p_long)
        if p.calibrate and not warm and v:
            half = p.calib_tail / 2.0
            up = 1.0 if z > q_pos else 0.0
            q_pos = min(max(q_pos + p.calib_rate * (up - half) * q_pos, q_gauss * 0.8), 50.0)
            dn = 1.0 if -z > q_neg else 0.0
            q_neg = min(max(q_neg + p.calib_rate * (dn - half) * q_neg, q_gauss * 0.8), 50.0)
        cnt += 1.0 if v else 0.0
    scores[:] = out_s
    flags[:] = out_f
    return scores, flags
