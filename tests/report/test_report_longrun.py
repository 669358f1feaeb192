"""The long-run report: a self-contained page, three real figures, unknowns never 100%."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from hadrsim.cli import app
from hadrsim.longrun import LongRun
from hadrsim.report import render_longrun
from hadrsim.report.longrun import annual_downtime_png, longrun_nines_png, months_below_sla_png

PNG_URI = "data:image/png;base64,"
REASON = "az_outage@primary_az: 2 of 8 episodes had no surviving client to observe the outage"


def _figure(mean: float) -> dict[str, Any]:
    return {"mean": mean, "ci95": [mean * 0.8, mean * 1.25]}


def _design(name: str, availability: float | None, *, sla: float | None = 99.95
            ) -> dict[str, Any]:
    """A design's entry as ``LongRun.to_json`` writes it; ``availability=None``: unknown."""
    known = availability is not None
    downtime = (1 - availability) * 525_600 if known else None
    return {
        "design": name, "kind": "rds_multi_az_instance",
        "availability": {"mean": availability, "ci95": [availability - 2e-5, availability + 1e-5],
                         "nines": 0.0, "bound": None} if known else None,
        "downtime_min_per_year": {**_figure(downtime), "p50": downtime * 0.9,
                                  "p95": downtime * 2, "p99": downtime * 3} if known else None,
        "unknown": None if known else [REASON], "censored_share": 0.0,
        "incidents_per_year": _figure(12.0), "outages_per_year": _figure(11.0),
        "lost_writes_per_year": _figure(3.0), "loss_window_s_per_year": _figure(20.0),
        "sla_pct": sla,
        "p_meets_sla": {"mean": 0.95, "ci95": [0.9, 0.98]} if known and sla else None,
        "months_below_sla_per_year": _figure(0.6) if known and sla else None,
        "compound": {"share_of_incidents": 0.01, "share_of_time": 1e-6, "groups": 3,
                     "simulated": 3},
        "cost_month_usd": 351.5, "incident_cost_usd_per_year": 1234.0 if known else None,
        "classes": [{"class": "az_outage@primary_az", "episodes": 8, "runs": 8,
                     "not_applicable": None, "mean_downtime_s": 90.0, "p95_downtime_s": 110.0,
                     "censored": 0, "unknown": 0 if known else 2, "mean_lost_writes": 0.0,
                     "mean_loss_window_s": 0.0, "mean_duration_s": 1800.0,
                     "mean_detection_s": 14.0, "mean_promotion_s": 70.0}],
    }


def _view(second: str = "blind", years: float = 2.0) -> LongRun:
    """Two designs: one measured, one whose availability is unknown."""
    rng = np.random.default_rng(3)
    whole = int(years)
    annual = {"maz": rng.lognormal(4, 0.4, 40 * whole),
              second: np.zeros(40 * whole)}  # unobserved outages: not downtime-free
    return LongRun("lr-report", "faults", years, 40, 5, [],
                   [_design("maz", 0.99987), _design(second, None)], annual)


def _images(page: str) -> list[tuple[bytes, int, int]]:
    tags = re.findall(r'<img src="([^"]+)" alt="([^"]+)" width="(\d+)" height="(\d+)">', page)
    out = []
    for src, alt, width, height in tags:
        assert src.startswith(PNG_URI) and len(alt) > 20
        out.append((base64.b64decode(src[len(PNG_URI):], validate=True), int(width),
                    int(height)))
    return out


def test_page_names_every_design_and_embeds_three_real_pngs(check_png):
    """Each design by name, and three figures that decode as PNGs of their declared size."""
    page = render_longrun(_view())
    assert page.startswith("<!DOCTYPE html>") and page.isascii()
    assert "maz" in page and "blind" in page and "lr-report" in page
    images = _images(page)
    assert len(images) == 3
    for png, width, height in images:
        assert check_png(png).size == (width, height)
    for needle in ("http://", "https://", "<script", "<link", "url("):
        assert needle not in page.lower()
    assert "How to read this" in page and "never promoted" in page


def test_unknown_availability_reads_unknown_with_its_reason_never_100():
    """A null availability is "unknown" and why, in the overview and the design's table."""
    page = render_longrun(_view())
    overview = page.split("<caption>Designs side by side", 1)[1].split("</table>", 1)[0]
    row = overview.split("blind", 1)[1].split("</tr>", 1)[0]
    assert "unknown" in row and REASON in row
    assert "100" not in row and "nines" not in row
    detail = page.split("<caption>blind: yearly figures", 1)[1].split("</table>", 1)[0]
    availability = detail.split("write availability", 1)[1].split("</tr>", 1)[0]
    assert "unknown" in availability and REASON in availability
    assert "99.987" in page  # the measured design keeps its figure


def test_is_deterministic_and_escapes_user_text():
    """Same view, same bytes; a design name with markup stays text."""
    view = _view('a<b>&"c')
    page = render_longrun(view)
    assert render_longrun(view) == page
    assert "a&lt;b&gt;&amp;&quot;c" in page and "<b>" not in page


def test_figures_with_nothing_to_draw_or_decades_of_spread(check_png):
    """Histories shorter than a year, designs without an SLA, and years from 0 to 10^4 min."""
    short = _view(years=0.5)
    document = short.to_json()
    empty = annual_downtime_png(document, short.annual_downtime_min)
    assert empty[:8] == b"\x89PNG\r\n\x1a\n"
    document["designs"][0].update(sla_pct=None, p_meets_sla=None,
                                  months_below_sla_per_year=None)
    check_png(months_below_sla_png(document))
    check_png(longrun_nines_png(document))
    spread = {"maz": np.r_[np.zeros(30), np.geomspace(0.1, 1e4, 50)]}
    check_png(annual_downtime_png(_view().to_json(), spread))


@pytest.fixture
def study_file(longrun_study_file: Path) -> Path:
    return longrun_study_file


def _invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_cli_report_writes_the_page(study_file, tmp_path, check_png):
    """``longrun --report`` writes the page of the view it printed, next to the JSON."""
    out, page_path = tmp_path / "lr.json", tmp_path / "lr.html"
    result = _invoke("longrun", study_file, "--workers", "1", "--json", out,
                     "--report", page_path)
    assert result.exit_code == 0, result.output
    assert out.exists() and "report written to" in result.stdout
    page = page_path.read_text(encoding="ascii")
    assert "single" in page and "maz" in page
    assert len([check_png(png) for png, _, _ in _images(page)]) == 3
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize("kind", ["directory", "same-as-json"])
def test_cli_refuses_a_bad_report_path_before_simulating(study_file, tmp_path, kind):
    """A directory (or the --json file) is refused with exit 2 before any episode runs."""
    target = tmp_path / "out.json" if kind == "same-as-json" else tmp_path
    result = _invoke("longrun", study_file, "--workers", "1", "--json", tmp_path / "out.json",
                     "--report", target)
    assert result.exit_code == 2, result.output
    assert "--report" in result.output
    assert "episode library" not in result.output
    assert not (tmp_path / "out.json").exists()
