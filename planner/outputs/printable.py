"""`report.pdf`: the report on paper, for briefings.

Where a Chromium (or Chrome) binary is found, it prints `report.html` itself, so the PDF
shows exactly what the page shows. Where none is found, or printing fails, matplotlib
draws a PDF of the same figures: summary, groups not evacuated, timeline, crossing load
and map. Neither needs a network.

The browser is looked for as `$PLANNER_CHROMIUM`, then `chromium`, `chromium-browser`,
`google-chrome`, `google-chrome-stable` on the PATH.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from planner.outputs.clock import day_clock, local, written_at
from planner.outputs.geography import fit_projection, outline_paths
from planner.outputs.manifests import crossing_hours
from planner.outputs.report import summary_cards
from planner.outputs.view import PlanView

log = logging.getLogger(__name__)

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

# Flags for a headless browser that must not reach anything: no background services,
# no component updates, and no name resolution at all.
HEADLESS_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--no-first-run",
    "--no-default-browser-check",
    "--mute-audio",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)


def find_chromium() -> str | None:
    """The path of a Chromium or Chrome binary, or None when there is none."""
    named = os.environ.get("PLANNER_CHROMIUM")
    if named:
        found = shutil.which(named)
        if found:
            return found
        log.warning("PLANNER_CHROMIUM=%s is not an executable; looking on the PATH", named)
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def print_with_chromium(html: Path, pdf: Path, browser: str, timeout: float = 90.0) -> bool:
    """Print `html` to `pdf` with a headless browser; True when the PDF was written."""
    with tempfile.TemporaryDirectory(prefix="planner-print-") as profile:
        cmd = [
            browser,
            *HEADLESS_FLAGS,
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            "--print-to-pdf-no-header",
            f"--print-to-pdf={pdf.resolve()}",
            html.resolve().as_uri(),
        ]
        if pdf.exists():
            pdf.unlink()
        try:
            done = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as e:
            log.warning("printing the report with %s failed: %s", browser, e)
            return False
    if done.returncode != 0 or not pdf.exists() or pdf.stat().st_size == 0:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        log.warning("printing the report with %s failed: %s", browser, " / ".join(tail))
        return False
    return True


def draw_with_matplotlib(view: PlanView, pdf: Path) -> Path:
    """Draw the report's figures into a PDF with matplotlib (no browser needed)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MplPath

    stamp = written_at()
    metadata = {
        "Title": f"Evacuation plan: {view.title}",
        "Creator": "evacuation-planner",
        "CreationDate": stamp,
        "ModDate": stamp,
    }
    a4 = (11.69, 8.27)
    zone = view.scenario.timezone
    with PdfPages(pdf, metadata=metadata) as pages:
        # 1. summary and groups not evacuated
        fig = plt.figure(figsize=a4)
        fig.text(0.05, 0.94, f"Evacuation plan: {view.title}", fontsize=16, weight="bold")
        fig.text(
            0.05,
            0.905,
            f"Start {day_clock(view.scenario.start, zone)}; times on the clock "
            "of the place where each thing happens.",
            fontsize=9,
            color="#555",
        )
        y = 0.85
        for _, name, value in summary_cards(view):
            fig.text(0.05, y, name, fontsize=10, color="#555")
            fig.text(0.32, y, value, fontsize=10, weight="bold")
            y -= 0.032
        y -= 0.02
        behind = [g for g in view.groups if g.status != "evacuated"]
        fig.text(
            0.05,
            y,
            "Not evacuated" if behind else "Every group is evacuated.",
            fontsize=12,
            weight="bold",
        )
        y -= 0.035
        for g in behind:
            if y < 0.04:
                fig.text(0.05, y, "... (see report.html)", fontsize=8)
                break
            reason = view.scrub(g.reason) or "-"
            fig.text(
                0.05,
                y,
                f"{g.id} ({g.people}, {g.priority}): {g.status_text}. {reason}"[:170],
                fontsize=8,
            )
            y -= 0.025
        pages.savefig(fig)
        plt.close(fig)

        # 2. timeline
        rows: list[tuple[str, list[tuple[float, float]], str]] = []
        start, _ = view.time_span()

        def h(t):  # type: ignore[no-untyped-def]
            return (t - start).total_seconds() / 3600

        for v in view.vehicles:
            rows.append(
                (
                    v.id,
                    [(h(leg.depart), h(leg.arrive) - h(leg.depart)) for leg in v.legs],
                    "#2c6fbb",
                )
            )
        for cid, passages in view.crossing_passages.items():
            rows.append(
                (
                    cid,
                    [(h(p.leg.depart), h(p.leg.arrive) - h(p.leg.depart)) for p in passages],
                    "#d68910",
                )
            )
        for sid, passages in view.service_passages.items():
            leg = passages[0].leg
            rows.append((sid, [(h(leg.depart), h(leg.arrive) - h(leg.depart))], "#2e8b57"))
        fig, ax = plt.subplots(figsize=a4)
        for i, (_, spans, colour) in enumerate(rows):
            ax.broken_barh(spans, (i - 0.35, 0.7), color=colour, alpha=0.8)
        ax.set_yticks(range(len(rows)), [r[0] for r in rows], fontsize=7)
        ax.invert_yaxis()
        tz = local(start, zone)
        ax.set_xlabel(f"hours after the start, {day_clock(start, zone)} ({tz.tzname()})")
        ax.set_title("Timeline: vehicles, crossings, flights and sailings")
        ax.grid(axis="x", color="#eee")
        fig.tight_layout()
        pages.savefig(fig)
        plt.close(fig)

        # 3. crossing load
        if view.crossing_passages:
            n = len(view.crossing_passages)
            fig, axes = plt.subplots(n, 1, figsize=a4, squeeze=False)
            for ax, (cid, passages) in zip(axes[:, 0], view.crossing_passages.items(), strict=True):
                crossing = view.crossing(cid)
                place = crossing.from_ if crossing is not None else passages[0].leg.from_
                hours = crossing_hours(view, passages)
                ks = list(range(min(hours), max(hours) + 1))
                counts = [sum(p.group.people for p in hours.get(k, [])) for k in ks]
                labels = [f"{local(view.hour_start(k), view.zone(place)):%H:%M}" for k in ks]
                ax.bar(range(len(ks)), counts, color="#2c6fbb")
                if crossing is not None and crossing.throughput is not None:
                    ax.axhline(crossing.throughput, color="#c0392b", linestyle="--")
                ax.set_xticks(range(len(ks)), labels, fontsize=7)
                ax.set_title(
                    f"{cid}: people starting to cross per hour (clock of {view.place_name(place)})",
                    fontsize=10,
                )
            fig.tight_layout()
            pages.savefig(fig)
            plt.close(fig)

        # 4. map
        placed = {
            pid: (loc.lon, loc.lat)
            for pid, loc in view.scenario.locations.items()
            if loc.lat is not None and loc.lon is not None
        }
        if placed:
            proj = fit_projection(list(placed.values()))  # type: ignore[arg-type]
            fig, ax = plt.subplots(figsize=a4)
            for _, d in outline_paths(proj):
                for ring in d.split("Z"):
                    if not ring:
                        continue
                    pts = [tuple(map(float, p.split(","))) for p in ring[1:].split("L")]
                    codes = [MplPath.MOVETO] + [MplPath.LINETO] * (len(pts) - 1)
                    ax.add_patch(
                        PathPatch(
                            MplPath(pts, codes),
                            facecolor="#f7f5ef",
                            edgecolor="#b9b4a6",
                            linewidth=0.5,
                        )
                    )
            for road in view.scenario.roads:
                if road.from_ in placed and road.to in placed:
                    (x0, y0), (x1, y1) = (
                        proj.point(*placed[road.from_]),
                        proj.point(*placed[road.to]),
                    )
                    ax.plot([x0, x1], [y0, y1], color="#9aa4af", linewidth=1)
            for pid, (lon, lat) in placed.items():
                x, y = proj.point(lon, lat)
                loc = view.scenario.locations[pid]
                ax.plot(x, y, "o", color="#c0392b" if loc.danger else "#2e8b57")
                ax.annotate(
                    loc.name.split(",")[0],
                    (x, y),
                    fontsize=7,
                    xytext=(4, 4),
                    textcoords="offset points",
                )
            ax.set_xlim(0, proj.width)
            ax.set_ylim(proj.height, 0)
            ax.set_aspect("equal")
            ax.set_axis_off()
            ax.set_title("Map (country outlines: Natural Earth, public domain)")
            pages.savefig(fig)
            plt.close(fig)
    return pdf


def write_printable(view: PlanView, html: Path, out_dir: Path) -> Path:
    """Write `report.pdf`: printed by Chromium when found, else drawn by matplotlib."""
    pdf = out_dir / "report.pdf"
    browser = find_chromium()
    if browser is not None and print_with_chromium(html, pdf, browser):
        return pdf
    if browser is None:
        log.info("no Chromium found: drawing report.pdf with matplotlib")
    return draw_with_matplotlib(view, pdf)
