"""Solver precomputation: the grid, candidate starts, usable resources, attendance.

Everything here is numpy over the *global grid* (every on-grid, writable
local start inside the horizon, as absolute minutes), so a district instance
(400 events, 20,000 families) is prepared in about a second. Pruning here is
what keeps the CP-SAT model small: a start survives only if, for each need,
at least one resource is individually available for the whole event then.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from . import rules
from .model import Event, Instance, Interval
from .timeutil import exists, to_abs


@dataclass(frozen=True)
class Grid:
    starts: np.ndarray  # int64 absolute minutes, sorted
    day: np.ndarray  # int32 local-date index (0 = horizon start date)


@dataclass
class Candidates:
    """What one event may use. Masks are aligned with `starts`."""

    event: int
    starts: np.ndarray  # absolute minutes
    day: np.ndarray
    att: np.ndarray  # attendance per start
    rooms: list[tuple[int, np.ndarray]] = field(default_factory=list)
    interps: dict[str, list[tuple[int, np.ndarray]]] = field(default_factory=dict)
    cares: list[tuple[int, np.ndarray]] = field(default_factory=list)


def build_grid(inst: Instance) -> Grid:
    """All valid start instants of the horizon (hard rule 1 without the event).

    Walks local dates and minutes-of-day, so spring-forward gap times are
    skipped and a fall-back hour contributes only its first occurrence.
    """
    out: list[int] = []
    days: list[int] = []
    d0, d1 = inst.horizon_dates
    n_days = (d1 - d0).days + 1
    for k in range(n_days):
        day = d0 + dt.timedelta(days=k)
        base = dt.datetime.combine(day, dt.time())
        for mod in range(0, 1440, inst.slot_minutes):
            naive = base + dt.timedelta(minutes=mod)
            if exists(naive, inst.tz):
                out.append(to_abs(naive, inst.tz))
                days.append(k)
    arr = np.asarray(out, dtype=np.int64)
    order = np.argsort(arr, kind="stable")
    return Grid(arr[order], np.asarray(days, dtype=np.int32)[order])


def avail_mask(grid_starts: np.ndarray, available: tuple[Interval, ...], duration: int) -> np.ndarray:
    """Boolean per start: [s, s+duration) inside one available interval.

    Each interval allows starts in [a, b - duration]; marking index ranges
    with a difference array is O(intervals + starts).
    """
    n = len(grid_starts)
    diff = np.zeros(n + 1, dtype=np.int32)
    if available:
        iv = np.asarray(available, dtype=np.int64)
        lo = np.searchsorted(grid_starts, iv[:, 0], "left")
        hi = np.searchsorted(grid_starts, iv[:, 1] - duration, "right")
        ok = hi > lo
        np.add.at(diff, lo[ok], 1)
        np.add.at(diff, hi[ok], -1)
    return np.cumsum(diff[:-1]) > 0


def time_mask(inst: Instance, ev: Event, grid: Grid) -> np.ndarray:
    """Hard rule 1 vectorised: window, horizon and fixed start on the grid."""
    lo = max(ev.window[0], inst.horizon[0])
    hi = min(ev.window[1], inst.horizon[1]) - ev.duration
    m = (grid.starts >= lo) & (grid.starts <= hi)
    if ev.fixed_start is not None:
        m &= grid.starts == ev.fixed_start
    return m


class AttendanceTable:
    """Interested families' intervals per event, for exact per-start counts."""

    def __init__(self, inst: Instance):
        self.by_event: dict[str, list[int]] = {}
        for fi, fam in enumerate(inst.families):
            for name in fam.interests:
                self.by_event.setdefault(name, []).append(fi)
        self.fam_iv = [np.asarray(f.available, dtype=np.int64).reshape(-1, 2) for f in inst.families]

    def counts(self, ev: Event, starts: np.ndarray) -> np.ndarray:
        """Families interested in `ev` and available for all of [s, s+d), per start.

        One row per family in a difference array, so a family whose
        intervals overlap is still counted once.
        """
        fams = self.by_event.get(ev.id, [])
        n = len(starts)
        if not fams or n == 0:
            return np.zeros(n, dtype=np.int64)
        lens = [len(self.fam_iv[f]) for f in fams]
        iv = np.concatenate([self.fam_iv[f] for f in fams]) if sum(lens) else np.zeros((0, 2), np.int64)
        row = np.repeat(np.arange(len(fams)), lens)
        lo = np.searchsorted(starts, iv[:, 0], "left")
        hi = np.searchsorted(starts, iv[:, 1] - ev.duration, "right")
        ok = hi > lo
        diff = np.zeros((len(fams), n + 1), dtype=np.int32)
        np.add.at(diff, (row[ok], lo[ok]), 1)
        np.add.at(diff, (row[ok], hi[ok]), -1)
        cover = np.cumsum(diff[:, :-1], axis=1) > 0
        return cover.sum(axis=0).astype(np.int64)


def build_candidates(inst: Instance, grid: Grid, prune: bool = True,
                     table: AttendanceTable | None = None) -> list[Candidates]:
    """Candidates per event (same order as inst.events).

    prune=False gives the *plain* model's view: every time-valid start and
    every resource that fits/speaks the language, availability left to the
    solver's constraints (used only as a benchmark baseline).
    """
    table = table or AttendanceTable(inst)
    masks: dict[tuple[str, int, int], np.ndarray] = {}

    def res_mask(kind: str, idx: int, avail: tuple[Interval, ...], d: int) -> np.ndarray:
        key = (kind, idx, d)
        if key not in masks:
            masks[key] = avail_mask(grid.starts, avail, d)
        return masks[key]

    out = []
    for ei, ev in enumerate(inst.events):
        tm = time_mask(inst, ev, grid)
        d = ev.duration
        rooms = [(ri, res_mask("r", ri, r.available, d)) for ri, r in enumerate(inst.rooms) if rules.room_fits(ev, r)]
        interps = {lang: [(ii, res_mask("i", ii, it.available, d)) for ii, it in enumerate(inst.interpreters)
                          if rules.interpreter_speaks(it, lang)] for lang in ev.interpreter_languages}
        cares = ([(ci, res_mask("c", ci, c.available, d)) for ci, c in enumerate(inst.childcare)
                  if rules.childcare_fits(ev, c)] if ev.childcare_children > 0 else [])
        keep = tm.copy()
        if prune:
            keep &= _any([m for _, m in rooms], len(tm))
            for lang in ev.interpreter_languages:
                keep &= _any([m for _, m in interps[lang]], len(tm))
            if ev.childcare_children > 0:
                keep &= _any([m for _, m in cares], len(tm))
        else:
            if not rooms or any(not v for v in interps.values()) or (ev.childcare_children > 0 and not cares):
                keep[:] = False
        idx = np.flatnonzero(keep)
        starts = grid.starts[idx]

        def sub(lst: list[tuple[int, np.ndarray]]) -> list[tuple[int, np.ndarray]]:
            return [(k, m[idx]) for k, m in lst if m[idx].any()]

        c = Candidates(ei, starts, grid.day[idx], table.counts(ev, starts), sub(rooms),
                       {lang: sub(v) for lang, v in interps.items()}, sub(cares))
        out.append(c)
    return out


def _any(ms: list[np.ndarray], n: int) -> np.ndarray:
    if not ms:
        return np.zeros(n, dtype=bool)
    return np.logical_or.reduce(ms)
